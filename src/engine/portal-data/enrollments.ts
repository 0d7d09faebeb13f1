/**
 * Reads and writes of enrollments for the group actions and the history import, as set-based
 * statements over one JSON parameter of [userId, courseId] pairs: one statement per slice whatever its
 * size, idempotent, so a slice applied after a crash (or twice) leaves the same rows.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import type { Statement } from "../handler";

/** A learner and a course: [userId, courseId]. */
export type Pair = readonly [userId: number, courseId: number];

export interface EnrollmentState {
  status: string;
  completedAt: number | null;
}

/** Statuses that count as having completed a course (reminders skip them, mark complete warns). */
export const COMPLETE_STATUSES = ["completed", "passed"] as const;

export const pairKey = (userId: number, courseId: number) => `${userId}:${courseId}`;

/** The current enrollment of each pair that has one, by `pairKey`. */
export async function enrollmentsOf(db: Db, pairs: readonly Pair[]): Promise<Map<string, EnrollmentState>> {
  if (pairs.length === 0) return new Map();
  const rows = await db.all<{
    user_id: number;
    course_id: number;
    status: string;
    completed_at: number | null;
  }>(
    sql`SELECT e.user_id, e.course_id, e.status, e.completed_at
        FROM json_each(${JSON.stringify(pairs)}) AS j
        JOIN enrollments e ON e.user_id = j.value ->> 0 AND e.course_id = j.value ->> 1`,
  );
  return new Map(
    rows.map((r) => [pairKey(r.user_id, r.course_id), { status: r.status, completedAt: r.completed_at }]),
  );
}

/** Enrolls each pair that is not enrolled yet (an existing enrollment, and its due date, is kept). */
export function enrollStatements(db: Db, pairs: readonly Pair[], dueDate: number | null, now: number) {
  if (pairs.length === 0) return [];
  return [
    db.run(sql`
      INSERT INTO enrollments (user_id, course_id, due_date, status, progress, enrolled_at)
      SELECT j.value ->> 0, j.value ->> 1, ${dueDate}, 'enrolled', 0, ${now}
      FROM json_each(${JSON.stringify(pairs)}) AS j WHERE true
      ON CONFLICT DO NOTHING`),
  ];
}

/**
 * Removes the pairs' enrollments. A result (completed, passed or failed, with its date) is first kept
 * as training history under this action, so unenrolling never erases the evidence of a completion.
 */
export function unenrollStatements(db: Db, pairs: readonly Pair[], actionId: number): Statement[] {
  if (pairs.length === 0) return [];
  const json = JSON.stringify(pairs);
  return [
    db.run(sql`
      INSERT INTO training_history (user_id, course_id, completed_at, status, score, action_id)
      SELECT e.user_id, e.course_id, e.completed_at, e.status, e.score, ${actionId}
      FROM json_each(${json}) AS j
      JOIN enrollments e ON e.user_id = j.value ->> 0 AND e.course_id = j.value ->> 1
      WHERE e.status IN ('completed', 'passed', 'failed') AND e.completed_at IS NOT NULL
      ON CONFLICT DO NOTHING`),
    db.run(sql`
      DELETE FROM enrollments
      WHERE (user_id, course_id) IN (SELECT j.value ->> 0, j.value ->> 1 FROM json_each(${json}) AS j)`),
  ];
}

/** A completion to record on an enrollment: [userId, courseId, status, completedAt, score]. */
export type Completion = readonly [number, number, string, number, number | null];

/**
 * Marks the pairs' enrollments complete, where they exist and are not complete yet: a completion that is
 * already recorded (by the learner, or an earlier import) is never overwritten.
 */
export function completeStatements(db: Db, completions: readonly Completion[]): Statement[] {
  if (completions.length === 0) return [];
  return [
    db.run(sql`
      UPDATE enrollments
      SET status = j.value ->> 2, progress = 100, completed_at = j.value ->> 3,
          score = coalesce(j.value ->> 4, enrollments.score)
      FROM json_each(${JSON.stringify(completions)}) AS j
      WHERE enrollments.user_id = j.value ->> 0 AND enrollments.course_id = j.value ->> 1
        AND enrollments.status NOT IN ('completed', 'passed')`),
  ];
}
