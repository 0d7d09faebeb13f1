/**
 * Writes of the portal's users and group memberships, as set-based statements over a JSON parameter:
 * one statement per slice whatever its size, within D1's 100-parameter limit, and idempotent.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import type { Statement } from "../handler";

export interface UserRow {
  /** Lower-cased: one user per address in a portal. */
  email: string;
  firstName: string;
  lastName: string;
  /** Empty keeps the existing role (learner for a new user). */
  role: string;
  department: string;
  groups: string[];
}

/** Creates or updates the users (empty cells keep what is there) and adds them to their groups. */
export function upsertUsersStatements(db: Db, portalId: string, now: number, rows: UserRow[]): Statement[] {
  const json = JSON.stringify(
    rows.map((r) => [r.email, r.firstName, r.lastName, r.role, r.department, r.groups]),
  );
  const statements: Statement[] = [
    db.run(sql`
      INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
      SELECT ${portalId}, j.value ->> 0, j.value ->> 1, j.value ->> 2, coalesce(nullif(j.value ->> 3, ''), 'learner'),
             j.value ->> 4, ${now}, ${now}
      FROM json_each(${json}) AS j WHERE true
      ON CONFLICT (portal_id, email) DO UPDATE SET
        first_name = CASE WHEN excluded.first_name <> '' THEN excluded.first_name ELSE users.first_name END,
        last_name = CASE WHEN excluded.last_name <> '' THEN excluded.last_name ELSE users.last_name END,
        department = CASE WHEN excluded.department <> '' THEN excluded.department ELSE users.department END,
        updated_at = excluded.updated_at`),
    // The role of an existing user changes only where the row names one.
    db.run(sql`
      UPDATE users SET role = j.value ->> 3
      FROM json_each(${json}) AS j
      WHERE users.portal_id = ${portalId} AND users.email = j.value ->> 0 AND (j.value ->> 3) <> ''`),
  ];
  if (rows.some((r) => r.groups.length > 0)) {
    statements.push(
      db.run(sql`
        INSERT INTO groups (portal_id, name, created_at)
        SELECT DISTINCT ${portalId}, g.value, ${now} FROM json_each(${json}) AS j, json_each(j.value -> 5) AS g WHERE true
        ON CONFLICT (portal_id, name) DO NOTHING`),
      db.run(sql`
        INSERT INTO group_members (group_id, user_id, added_at)
        SELECT gr.id, u.id, ${now}
        FROM json_each(${json}) AS j, json_each(j.value -> 5) AS g
        JOIN groups gr ON gr.portal_id = ${portalId} AND gr.name = g.value
        JOIN users u ON u.portal_id = ${portalId} AND u.email = j.value ->> 0
        WHERE true
        ON CONFLICT DO NOTHING`),
    );
  }
  return statements;
}
