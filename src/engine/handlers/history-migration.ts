/**
 * `history_migration`: a CSV of completions from another platform (email, course_code, completed_at,
 * score?, status?), written to training_history. A record is one learner × course × completion time.
 *
 * Errors (row skipped): missing or unknown user, missing or unknown course, missing, malformed or future
 * date (future = after the upload), score outside 0–100, status other than completed, passed or failed.
 * Warnings (row not imported, nothing changes): the same record earlier in the file (found while
 * staging, so it holds across slices and crashes), or already in the training history (an earlier
 * import): re-uploading a file changes nothing, and every row says so.
 *
 * A completed or passed record also completes the learner's enrollment in the course, where there is
 * one that is not complete yet: the learner has done the course, so reminders stop. No enrollment is
 * created (history is a record, not an assignment), and a recorded completion is never overwritten.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { stageCsv } from "../csv-intake";
import type { ActionHandler, ReportLine, StagedItem } from "../handler";
import { type Completion, completeStatements, pairKey } from "../portal-data/enrollments";
import { coursesByCode, userIdsByEmail } from "../portal-data/lookups";
import { combineProblems, type RowProblem } from "../row-problems";
import { checkHistoryRow, type HistoryItem, recordKey } from "./history-rows";

const COLUMNS = ["email", "course_code", "completed_at", "score", "status"] as const;

/** A record ready to write: [userId, courseId, completedAt, status, score]. */
type Row = [number, number, number, string, number | null];

/** The records among `rows` already in the training history, with the reference of the action that wrote each. */
async function alreadyRecorded(db: Db, rows: readonly Row[]): Promise<Map<string, string | null>> {
  if (rows.length === 0) return new Map();
  const found = await db.all<{
    user_id: number;
    course_id: number;
    completed_at: number;
    reference_id: string | null;
  }>(
    sql`SELECT th.user_id, th.course_id, th.completed_at, a.reference_id
        FROM json_each(${JSON.stringify(rows)}) AS j
        JOIN training_history th ON th.user_id = j.value ->> 0 AND th.course_id = j.value ->> 1
          AND th.completed_at = j.value ->> 2
        LEFT JOIN actions a ON a.id = th.action_id`,
  );
  return new Map(
    found.map((r) => [JSON.stringify([r.user_id, r.course_id, r.completed_at]), r.reference_id]),
  );
}

export const historyMigration: ActionHandler = {
  async stageFiles(ctx, submission, stager) {
    const firstRowOf = new Map<string, number>();
    return stageCsv(
      submission.files[0]!,
      stager,
      {
        required: ["email", "course_code", "completed_at"],
        known: COLUMNS,
        toItem(cells, row, raw): HistoryItem {
          const item: HistoryItem = [
            row,
            cells.email ?? "",
            cells.course_code ?? "",
            cells.completed_at ?? "",
            cells.score ?? "",
            cells.status ?? "",
            0,
            raw,
          ];
          // Only a row that can be imported counts as the first of a repeated record.
          const { record } = checkHistoryRow(item, ctx.now);
          if (record) {
            const key = recordKey(record.email, record.code, record.completedAt);
            item[6] = firstRowOf.get(key) ?? 0;
            if (!item[6]) firstRowOf.set(key, row);
          }
          return item;
        },
      },
      { maxRows: ctx.maxRows, maxBytes: ctx.maxFileBytes },
    );
  },

  async apply(ctx, items) {
    const staged = (items as StagedItem<HistoryItem>[]).map(({ item }) => ({
      item,
      ...checkHistoryRow(item, ctx.action.createdAt),
    }));
    const valid = staged.flatMap((s) => (s.record ? [s.record] : []));
    const userIds = await userIdsByEmail(
      ctx.db,
      ctx.action.portalId,
      valid.map((r) => r.email),
    );
    const courses = await coursesByCode(
      ctx.db,
      ctx.action.portalId,
      valid.map((r) => r.code),
    );

    const candidates: { item: HistoryItem; problems: RowProblem[]; row: Row | null }[] = staged.map((s) => {
      const { item, problems, record } = s;
      if (!record) return { item, problems, row: null };
      const userId = userIds.get(record.email);
      const course = courses.get(record.code);
      if (userId === undefined) {
        problems.push({
          status: "Error",
          issue: `No user with the email "${item[1]}" in this portal.`,
          resolution:
            "Check the address, or create the user with a user upload first, then upload this row again.",
        });
      }
      if (!course) {
        problems.push({
          status: "Error",
          issue: `No course with the code "${item[2]}" in this portal.`,
          resolution:
            "Check the code (codes match exactly, including capitals), or upload the course first, then upload this row again.",
        });
      }
      if (userId === undefined || !course) return { item, problems, row: null };
      if (item[6]) {
        problems.push({
          status: "Warning",
          issue: `Row ${item[6]} has the same learner, course and completion date: the record is kept once, from row ${item[6]}.`,
          resolution: "Nothing to do; remove the repeated row from the file to silence this warning.",
        });
        return { item, problems, row: null };
      }
      return { item, problems, row: [userId, course.id, record.completedAt, record.status, record.score] };
    });

    const recorded = await alreadyRecorded(
      ctx.db,
      candidates.flatMap((c) => (c.row ? [c.row] : [])),
    );
    const report: ReportLine[] = [];
    const fresh: Row[] = [];
    for (const c of candidates) {
      if (c.row) {
        const key = JSON.stringify(c.row.slice(0, 3));
        if (recorded.has(key)) {
          const by = recorded.get(key);
          c.problems.push({
            status: "Warning",
            issue: `This completion is already in the training history${by ? ` (recorded by ${by})` : ""}; nothing changed.`,
            resolution:
              "Nothing to do: each completion is kept once. Change the date only if this is another completion.",
          });
        } else {
          fresh.push(c.row);
        }
      }
      const line = combineProblems(
        c.item[0],
        `${c.item[1] || "(blank)"} / ${c.item[2] || "(blank)"}`,
        c.problems,
      );
      if (line?.status === "Error") line.raw = c.item[7];
      if (line) report.push(line);
    }
    const errors = report.filter((l) => l.status === "Error").length;
    return {
      statements: fresh.length ? writeStatements(ctx.db, ctx.action.id, fresh) : [],
      report,
      errors,
      warnings: report.length - errors,
    };
  },
};

/** Inserts the records and completes the matching enrollments (the latest completion per learner × course). */
function writeStatements(db: Db, actionId: number, rows: Row[]) {
  const latest = new Map<string, Completion>();
  for (const [userId, courseId, completedAt, status, score] of rows) {
    if (status === "failed") continue;
    const key = pairKey(userId, courseId);
    const seen = latest.get(key);
    if (!seen || seen[3] < completedAt) latest.set(key, [userId, courseId, status, completedAt, score]);
  }
  return [
    db.run(sql`
      INSERT INTO training_history (user_id, course_id, completed_at, status, score, action_id)
      SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, ${actionId}
      FROM json_each(${JSON.stringify(rows)}) AS j WHERE true
      ON CONFLICT DO NOTHING`),
    ...completeStatements(db, [...latest.values()]),
  ];
}
