/**
 * "Nothing lost, nothing doubled", checked from outside: an action's counters against what its input
 * must give, its report (downloaded through the API) row by row, its status events once each, and the
 * data it wrote against its counters.
 */
import { eq, sql } from "drizzle-orm";
import { parseCsvStream } from "../../../src/csv/decode";
import type { Db } from "../../../src/db/client";
import { actions } from "../../../src/db/schema";
import { bearer, type Person } from "../../support/env";
import type { Expected } from "./inputs";

export type ActionRow = typeof actions.$inferSelect;

export async function actionByRef(db: Db, ref: string): Promise<ActionRow> {
  const [row] = await db.select().from(actions).where(eq(actions.referenceId, ref));
  if (!row) throw new Error(`no action ${ref}`);
  return row;
}

/** The report as downloaded: row → [status, identifier], with any row seen twice listed. */
export async function downloadReport(url: string, person: Person, ref: string) {
  const res = await fetch(`${url}/v1/actions/${ref}/error-report`, { headers: bearer(person) });
  if (res.status !== 200) throw new Error(`report of ${ref}: ${res.status} ${await res.text()}`);
  const rows = new Map<number, [string, string]>();
  const repeated: number[] = [];
  let header: string[] | null = null;
  for await (const batch of parseCsvStream(res.body!)) {
    for (const record of batch) {
      if (!header) {
        header = record.fields;
        continue;
      }
      const row = Number(record.fields[0]);
      if (rows.has(row)) repeated.push(row);
      rows.set(row, [record.fields[1] ?? "", record.fields[2] ?? ""]);
    }
  }
  return { header, rows, repeated, disposition: res.headers.get("content-disposition") };
}

/**
 * Every way an ended action can differ from what its input must give; empty when it is exact.
 * `statuses` is the status sequence its events must show.
 */
export async function differences(
  db: Db,
  url: string,
  person: Person,
  ref: string,
  expected: Expected,
  statuses = ["not_started", "in_progress", expected.errors > 0 ? "completed_with_errors" : "completed"],
): Promise<string[]> {
  const out: string[] = [];
  const a = await actionByRef(db, ref);
  const want = {
    status: statuses.at(-1),
    total: expected.total,
    processed: expected.total,
    succeeded: expected.total - expected.errors,
    errors: expected.errors,
    warnings: expected.warnings,
    reportRows: expected.report.size,
  };
  const got = {
    status: a.status,
    total: a.total,
    processed: a.processed,
    succeeded: a.succeeded,
    errors: a.errors,
    warnings: a.warnings,
    reportRows: a.reportRows,
  };
  if (JSON.stringify(want) !== JSON.stringify(got))
    out.push(`${ref} ${a.type}: counters ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  if (a.unpublished) out.push(`${ref}: unpublished counters left behind: ${a.unpublished}`);

  const stored = await db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM report_rows WHERE action_id = ${a.id}`,
  );
  if (stored[0]!.n !== expected.report.size)
    out.push(`${ref}: ${stored[0]!.n} report rows stored, expected ${expected.report.size}`);
  if (expected.report.size > 0) {
    const report = await downloadReport(url, person, ref);
    if (report.repeated.length)
      out.push(`${ref}: report rows repeated: ${report.repeated.slice(0, 10).join(",")}`);
    const wrong: string[] = [];
    for (const [row, status] of expected.report) {
      const line = report.rows.get(row);
      if (!line) wrong.push(`row ${row} missing`);
      else if (line[0] !== status) wrong.push(`row ${row} is ${line[0]}, expected ${status}`);
    }
    for (const row of report.rows.keys()) if (!expected.report.has(row)) wrong.push(`row ${row} unexpected`);
    if (wrong.length)
      out.push(`${ref}: report differs: ${wrong.slice(0, 8).join("; ")} (${wrong.length} in all)`);
  }

  const events = await db.all<{ kind: string; version: number; status: string }>(
    sql`SELECT kind, version, snapshot ->> '$.status' AS status FROM action_events WHERE action_id = ${a.id} ORDER BY id`,
  );
  const seenStatuses = events.filter((e) => e.kind === "action.status").map((e) => e.status);
  if (JSON.stringify(seenStatuses) !== JSON.stringify(statuses))
    out.push(`${ref}: status events ${seenStatuses.join(" → ")}, expected ${statuses.join(" → ")}`);
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.version <= events[i - 1]!.version) {
      out.push(
        `${ref}: event versions not increasing (${events[i - 1]!.version} then ${events[i]!.version})`,
      );
      break;
    }
  }
  const staged = await db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM action_inputs WHERE action_id = ${a.id}`,
  );
  if (staged[0]!.n !== 0) out.push(`${ref}: ${staged[0]!.n} staged chunks left after the end`);
  return out;
}
