/**
 * The error report as a CSV download, streamed from the stored rows a page at a time: a report of
 * 100,000 rows never sits in memory. Named after the upload, with an ASCII `filename` for old clients
 * and a UTF-8 `filename*` (RFC 6266) for every other name.
 */
import { and, asc, eq, gt } from "drizzle-orm";
import type { ActionRow } from "../actions/repository";
import { reportFileName } from "../actions/view";
import { csvStream } from "../csv/write";
import type { Db } from "../db/client";
import { reportRows } from "../db/schema";

export const REPORT_HEADER = ["Row", "Status", "Identifier", "Issue", "Resolution"];
const PAGE = 1_000;

/** One line of a report as the API shows it (JSON). */
export interface ReportItem {
  row: number;
  status: "Error" | "Warning";
  identifier: string;
  issue: string;
  resolution: string;
}

/** Up to `limit` lines after row `afterRow`, in row order (the primary key's order: one range read). */
export function reportLinesAfter(db: Db, actionId: number, afterRow: number, limit: number) {
  return db
    .select()
    .from(reportRows)
    .where(and(eq(reportRows.actionId, actionId), gt(reportRows.row, afterRow)))
    .orderBy(asc(reportRows.row))
    .limit(limit);
}

/** Every line of the report, a page at a time, in row order: a report of any size streams in bounded memory. */
export async function* reportLinePages(db: Db, actionId: number) {
  let after = 0;
  for (;;) {
    const rows = await reportLinesAfter(db, actionId, after, PAGE);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.row;
  }
}

/** A page of lines as the API shows them (JSON): without the kept row text. */
export async function readReportPage(
  db: Db,
  actionId: number,
  afterRow: number,
  limit: number,
): Promise<ReportItem[]> {
  const rows = await reportLinesAfter(db, actionId, afterRow, limit);
  return rows.map(({ row, status, identifier, issue, resolution }) => ({
    row,
    status: status as ReportItem["status"],
    identifier,
    issue,
    resolution,
  }));
}

async function* reportPages(db: Db, actionId: number) {
  for await (const rows of reportLinePages(db, actionId)) {
    yield rows.map((r) => [r.row, r.status, r.identifier, r.issue, r.resolution] as const);
  }
}

/** `attachment; filename="spring-hires-errors.csv"; filename*=UTF-8''…` — safe for any upload name. */
export function contentDisposition(name: string): string {
  const ascii =
    name
      .replace(/[^\x20-\x7e]/g, "_")
      .replace(/["\\;]/g, "_")
      .replace(/[\r\n]/g, "") || "report.csv";
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function reportResponse(db: Db, action: ActionRow): Response {
  return new Response(csvStream(REPORT_HEADER, reportPages(db, action.id)), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": contentDisposition(reportFileName(action)),
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
