/**
 * Report expiry, a plain function of (database, now) that a croner job runs on EXPIRY_CRON. Rows go in
 * bounded batches; the action is then marked expired once (its event tells open streams). Several
 * processes running it at once only share the deleting.
 */
import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { FINAL_STATUSES } from "../actions/model";
import type { Db } from "../db/client";
import { actions, reportRows } from "../db/schema";

export async function expireReports(
  db: Db,
  now: number,
  options = { actions: 50, rowsPerBatch: 5_000 },
): Promise<number> {
  const due = await db
    .select({ id: actions.id })
    .from(actions)
    .where(
      and(
        eq(actions.reportExpired, 0),
        gt(actions.reportRows, 0),
        lte(actions.reportExpiresAt, now),
        inArray(actions.status, [...FINAL_STATUSES]),
      ),
    )
    .limit(options.actions);
  let expired = 0;
  for (const { id } of due) {
    for (;;) {
      const batch = db
        .select({ row: reportRows.row })
        .from(reportRows)
        .where(eq(reportRows.actionId, id))
        .limit(options.rowsPerBatch);
      const gone = await db
        .delete(reportRows)
        .where(and(eq(reportRows.actionId, id), inArray(reportRows.row, batch)))
        .returning({ row: reportRows.row });
      if (gone.length < options.rowsPerBatch) break;
    }
    const marked = await db
      .update(actions)
      .set({ reportExpired: 1, version: sql`${actions.version} + 1` })
      .where(and(eq(actions.id, id), eq(actions.reportExpired, 0)))
      .returning({ id: actions.id });
    expired += marked.length;
  }
  return expired;
}
