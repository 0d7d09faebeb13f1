/**
 * Reads of the portal's groups, courses and users by the names an admin types, for submission checks
 * and handlers. Sets travel as one JSON parameter (json_each), so a list of 500 codes is one query
 * within D1's 100-parameter limit. Names and codes match exactly; emails are stored lower-cased.
 */
import { and, eq, sql } from "drizzle-orm";
import type { FieldProblem } from "../../actions/errors";
import type { Db } from "../../db/client";
import { courses, groups, users } from "../../db/schema";

export interface GroupRef {
  id: number;
  name: string;
  /** The rule as stored (JSON), null for a static group. */
  rule: string | null;
}

export interface CourseSummary {
  id: number;
  code: string;
  title: string;
}

export async function findGroup(db: Db, portalId: string, name: string): Promise<GroupRef | null> {
  const [row] = await db
    .select({ id: groups.id, name: groups.name, rule: groups.rule })
    .from(groups)
    .where(and(eq(groups.portalId, portalId), eq(groups.name, name)))
    .limit(1);
  return row ?? null;
}

/** The courses of the portal with these codes, by code (codes not found are simply absent). */
export async function coursesByCode(
  db: Db,
  portalId: string,
  codes: readonly string[],
): Promise<Map<string, CourseSummary>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .select({ id: courses.id, code: courses.code, title: courses.title })
    .from(courses)
    .where(
      and(
        eq(courses.portalId, portalId),
        sql`${courses.code} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(codes)])}))`,
      ),
    );
  return new Map(rows.map((row) => [row.code, row]));
}

/** User ids of the portal by (lower-cased) email. */
export async function userIdsByEmail(
  db: Db,
  portalId: string,
  emails: readonly string[],
): Promise<Map<string, number>> {
  if (emails.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(
      and(
        eq(users.portalId, portalId),
        sql`${users.email} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(emails)])}))`,
      ),
    );
  return new Map(rows.map((row) => [row.email, row.id]));
}

/** The 422 problem for a group name that names no group of the portal. */
export function unknownGroupProblem(name: string): FieldProblem {
  return {
    path: "params.group",
    message: `params.group "${name}" is not a group of this portal: check the spelling (names match exactly, including capitals).`,
  };
}

/** One 422 problem per course code (at `path`, or `path.<index>` for a list) that names no course. */
export async function unknownCourseProblems(
  db: Db,
  portalId: string,
  path: string,
  codes: string | readonly string[],
): Promise<FieldProblem[]> {
  const list = typeof codes === "string" ? [codes] : codes;
  const found = await coursesByCode(db, portalId, list);
  const problems: FieldProblem[] = [];
  list.forEach((code, index) => {
    if (found.has(code)) return;
    const at = typeof codes === "string" ? path : `${path}.${index}`;
    problems.push({
      path: at,
      message: `${at} "${code}" is not the code of a course in this portal: check the code (codes match exactly, including capitals).`,
    });
  });
  return problems;
}
