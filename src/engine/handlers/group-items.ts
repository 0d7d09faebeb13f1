/**
 * What the three group actions share: the submission check (the group and every course must exist),
 * the staging of one item per member × course, and the per-item judgement against the current
 * enrollment. Items are staged in a fixed order (members by user id, then courses in the order given)
 * when the action starts, so `total` is known at once and a resumed action goes on by position.
 * The members are those of the group at that moment; later joiners are not included.
 */
import { and, asc, eq, gt } from "drizzle-orm";
import type { FieldProblem } from "../../actions/errors";
import type { Principal } from "../../actions/principal";
import type { Db } from "../../db/client";
import { groupMembers, users } from "../../db/schema";
import type { ApplyResult, EngineContext, ReportLine, StagedItem, Stager, Statement } from "../handler";
import { WholeActionError } from "../handler";
import { type EnrollmentState, enrollmentsOf, type Pair, pairKey } from "../portal-data/enrollments";
import { coursesByCode, findGroup, unknownCourseProblems, unknownGroupProblem } from "../portal-data/lookups";
import type { RowProblem } from "../row-problems";

/** A staged item: [userId, email, courseId, courseCode]. */
export type MemberCourse = [number, string, number, string];

/** Members read per query while staging (bounded memory for large groups). */
const MEMBER_PAGE = 1_000;

/** The courses an action's params name: `courses` (a list) or `course` (one), without repeats. */
function courseCodes(params: Record<string, unknown>): string[] {
  const list = Array.isArray(params.courses) ? (params.courses as string[]) : [params.course as string];
  return [...new Set(list)];
}

/** 422 problems for an unknown group and each unknown course, all named at once. */
export async function checkGroupAndCourses(
  db: Db,
  who: Principal,
  params: Record<string, unknown>,
): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const group = params.group as string;
  if (!(await findGroup(db, who.portal, group))) problems.push(unknownGroupProblem(group));
  const courses = Array.isArray(params.courses)
    ? await unknownCourseProblems(db, who.portal, "params.courses", params.courses as string[])
    : await unknownCourseProblems(db, who.portal, "params.course", params.course as string);
  return [...problems, ...courses];
}

/** Stages one item per member × course. The group or a course gone since submission ends the action `failed`. */
export async function stageMemberCourses(ctx: EngineContext, stage: Stager): Promise<void> {
  const { db, action, params } = ctx;
  const group = await findGroup(db, action.portalId, params.group as string);
  if (!group) {
    throw new WholeActionError(`The group "${params.group}" no longer exists in this portal.`);
  }
  const codes = courseCodes(params);
  const found = await coursesByCode(db, action.portalId, codes);
  const courses = codes.map((code) => {
    const course = found.get(code);
    if (!course) throw new WholeActionError(`The course "${code}" no longer exists in this portal.`);
    return course;
  });
  let after = 0;
  for (;;) {
    const members = await db
      .select({ id: users.id, email: users.email })
      .from(groupMembers)
      .innerJoin(users, eq(users.id, groupMembers.userId))
      .where(and(eq(groupMembers.groupId, group.id), gt(users.id, after)))
      .orderBy(asc(users.id))
      .limit(MEMBER_PAGE);
    for (const member of members) {
      for (const course of courses) {
        const item: MemberCourse = [member.id, member.email, course.id, course.code];
        await stage.add(item);
      }
    }
    if (members.length < MEMBER_PAGE) return;
    after = members[members.length - 1]!.id;
  }
}

export interface MemberCourseRules {
  /** The problem of one item given its current enrollment (undefined: not enrolled); null when none. */
  judge(enrollment: EnrollmentState | undefined): RowProblem | null;
  /** The writes for the items without a problem (an item with a Warning needs no change either). */
  write(pairs: Pair[]): Statement[];
}

/**
 * Applies a batch of member × course items: reads their enrollments in one query, reports each problem
 * (Row = position, 1-based; Identifier = "<email> / <course code>"), and writes the rest in one go.
 */
export async function applyMemberCourses(
  ctx: EngineContext,
  items: StagedItem[],
  rules: MemberCourseRules,
): Promise<ApplyResult> {
  const staged = items as StagedItem<MemberCourse>[];
  const current = await enrollmentsOf(
    ctx.db,
    staged.map(({ item }) => [item[0], item[2]] as const),
  );
  const report: ReportLine[] = [];
  const todo: Pair[] = [];
  let errors = 0;
  for (const { position, item } of staged) {
    const [userId, email, courseId, code] = item;
    const problem = rules.judge(current.get(pairKey(userId, courseId)));
    if (!problem) {
      todo.push([userId, courseId]);
      continue;
    }
    report.push({ row: position + 1, identifier: `${email} / ${code}`, ...problem });
    if (problem.status === "Error") errors++;
  }
  return { statements: rules.write(todo), report, errors, warnings: report.length - errors };
}

/** A readable UTC date for report text. */
export const day = (ms: number | null) =>
  ms === null ? "an unknown date" : new Date(ms).toISOString().slice(0, 10);
