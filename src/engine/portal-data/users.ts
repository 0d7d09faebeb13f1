/**
 * Writes of the portal's users and group memberships, as set-based statements over a JSON parameter:
 * one statement per slice whatever its size, within D1's 100-parameter limit, and idempotent.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import type { Statement } from "../handler";
import { syncRuleGroupsOfUsers } from "./rules";

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

/**
 * Creates or updates the users (empty cells keep what is there) and adds them to their groups; then
 * re-evaluates the portal's rule groups for them, last, so a rule group holds exactly its matching users
 * (a `groups` cell naming a rule group the user does not match leaves the user out of it).
 */
export function upsertUsersStatements(db: Db, portalId: string, now: number, rows: UserRow[]): Statement[] {
  const json = JSON.stringify(
    rows.map((r) => [r.email, r.firstName, r.lastName, r.role, r.department, r.groups]),
  );
  // Rows that name a role set it; rows without one keep an existing user's role (learner when new).
  // Two upserts, because an upsert cannot tell a defaulted value from a given one. Upserts, not
  // UPDATE … FROM json_each: with a constant portal_id SQLite would scan the portal's users per slice.
  const withRole = rows.filter((r) => r.role !== "");
  const withoutRole = rows.filter((r) => r.role === "");
  const statements: Statement[] = [];
  if (withRole.length) statements.push(upsertStatement(db, portalId, now, withRole, true));
  if (withoutRole.length) statements.push(upsertStatement(db, portalId, now, withoutRole, false));
  if (rows.some((r) => r.groups.length > 0)) {
    statements.push(
      db.run(sql`
        INSERT INTO groups (portal_id, name, created_at)
        SELECT DISTINCT ${portalId}, g.value, ${now} FROM json_each(${json}) AS j, json_each(j.value -> 5) AS g WHERE true
        ON CONFLICT (portal_id, name) DO NOTHING`),
      db.run(sql`
        INSERT INTO group_members (group_id, user_id, added_at)
        SELECT gr.id, u.id, ${now}
        FROM json_each(${json}) AS j CROSS JOIN json_each(j.value -> 5) AS g
        CROSS JOIN groups gr ON gr.portal_id = ${portalId} AND gr.name = g.value
        CROSS JOIN users u ON u.portal_id = ${portalId} AND u.email = j.value ->> 0
        WHERE true
        ON CONFLICT DO NOTHING`),
    );
  }
  statements.push(...syncRuleGroupsOfUsers(db, portalId, now, json));
  return statements;
}

function upsertStatement(
  db: Db,
  portalId: string,
  now: number,
  rows: UserRow[],
  setRole: boolean,
): Statement {
  const json = JSON.stringify(
    rows.map((r) => [r.email, r.firstName, r.lastName, r.role || "learner", r.department]),
  );
  return db.run(sql`
    INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
    SELECT ${portalId}, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, ${now}, ${now}
    FROM json_each(${json}) AS j WHERE true
    ON CONFLICT (portal_id, email) DO UPDATE SET
      first_name = CASE WHEN excluded.first_name <> '' THEN excluded.first_name ELSE users.first_name END,
      last_name = CASE WHEN excluded.last_name <> '' THEN excluded.last_name ELSE users.last_name END,
      department = CASE WHEN excluded.department <> '' THEN excluded.department ELSE users.department END,
      role = ${setRole ? sql`excluded.role` : sql`users.role`},
      updated_at = excluded.updated_at`);
}
