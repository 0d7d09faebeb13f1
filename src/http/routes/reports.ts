/**
 * An action's report, three ways: the CSV download, its lines as JSON pages (the page shows the first 20
 * inline), and the failed rows to fix (failed-rows.ts). All three answer alike: 404 for someone else's
 * action exactly as for an unknown one, 404 without a report, 410 once it has expired.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { pageCursor, pageLimit } from "../../actions/params";
import type { ActionRow } from "../../actions/repository";
import { hasFailedRows } from "../../actions/view";
import { readReportPage, reportResponse } from "../../reports/download";
import { failedRowsResponse } from "../../reports/failed-rows";
import { AUTH_PROBLEMS, contentDisposition, problem, problems } from "../answers";
import { decodeCursor, encodeCursor } from "../cursor";
import type { AppEnv } from "../env";
import { PERSONAL } from "../headers";
import { HttpProblem } from "../problem";
import { defineRoute, type Route } from "../route";
import { ActionRef, ownAction } from "./poll";

/**
 * The caller's own action whose report is still kept. `missing` says why there is none (404), and the
 * expiry is a 410 that says when.
 */
export async function actionWithReport(
  c: Context<AppEnv>,
  referenceId: string,
  has: (action: ActionRow) => boolean = (action) => action.reportRows > 0,
  missing = "This action has no error report: no row had an error or a warning.",
): Promise<ActionRow> {
  const action = await ownAction(c, referenceId);
  if (!has(action)) throw new HttpProblem(404, missing);
  if (action.reportExpired) {
    const when = action.reportExpiresAt ? new Date(action.reportExpiresAt).toISOString() : null;
    throw new HttpProblem(
      410,
      `The error report expired${when ? ` on ${when}` : ""}; reports are kept for a limited time after the action ends.`,
      { type: "/problems/report-expired", extra: { expiredAt: when } },
    );
  }
  return action;
}

/** The answers every report route shares besides its 200. */
export const REPORT_PROBLEMS = {
  ...problems(...AUTH_PROBLEMS),
  404: problem(404, "No such action of the caller's, or the action has no report (no row had a problem)."),
  410: problem(410, "The report has expired (`expiredAt` says when)."),
};

export const errorReport = defineRoute({
  operationId: "getErrorReport",
  method: "GET",
  path: "/v1/actions/{referenceId}/error-report",
  tag: "actions",
  summary: "The action's error report, as CSV",
  description:
    "One line per row with an Error or a Warning. Kept for REPORT_RETENTION after the action ends, then `410`.",
  auth: ["bearer", "cookie"],
  cache: PERSONAL,
  input: { params: ActionRef },
  answers: {
    200: {
      description: "The report: header row `Row,Status,Identifier,Issue,Resolution`, formula-safe cells.",
      content: {
        "text/csv": {
          schema: { type: "string", pattern: "^\\uFEFF?Row,Status,Identifier,Issue,Resolution\\r?\\n" },
          examples: {
            report: {
              summary: "Two problems",
              value:
                "\uFEFFRow,Status,Identifier,Issue,Resolution\r\n" +
                "3,Error,not-an-email,The email address is not valid,Correct the email address and upload the row again\r\n",
            },
          },
        },
      },
      headers: { "Content-Disposition": contentDisposition },
    },
    ...REPORT_PROBLEMS,
  },
  handler: async (c, { params }) =>
    reportResponse(c.get("services").db, await actionWithReport(c, params.referenceId)),
});

const ReportItemSchema = v.pipe(
  v.strictObject({
    row: v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.description("The spreadsheet row (header = 1), or the item's position."),
    ),
    status: v.picklist(["Error", "Warning"]),
    identifier: v.string(),
    issue: v.string(),
    resolution: v.string(),
  }),
  v.title("ReportRow"),
);

const ReportPageSchema = v.pipe(
  v.strictObject({
    items: v.array(ReportItemSchema),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description("Pass as `cursor` for the next page; null on the last page."),
    ),
  }),
  v.title("ReportRowPage"),
);

export const reportRowsRoute = defineRoute({
  operationId: "listReportRows",
  method: "GET",
  path: "/v1/actions/{referenceId}/report-rows",
  tag: "actions",
  summary: "The action's error report, as JSON pages in row order",
  description:
    "The lines of the error report (`limit` 1–200, default 20), kept and expired with the report: `410` after it.",
  auth: ["bearer", "cookie"],
  cache: PERSONAL,
  input: { params: ActionRef, query: v.object({ limit: pageLimit(20), cursor: pageCursor }) },
  answers: {
    200: {
      description: "A page of report lines, in row order.",
      content: {
        "application/json": {
          schema: ReportPageSchema,
          examples: {
            page: {
              summary: "The first lines",
              value: {
                items: [
                  {
                    row: 3,
                    status: "Error",
                    identifier: "not-an-email",
                    issue: '"not-an-email" is not a valid email address.',
                    resolution:
                      "Correct the email address (it should look like name@example.com), then upload this row again.",
                  },
                ],
                nextCursor: null,
              },
            },
          },
        },
      },
    },
    ...REPORT_PROBLEMS,
    400: problem(400),
  },
  handler: async (c, { params, query }) => {
    const action = await actionWithReport(c, params.referenceId);
    const after = query.cursor ? decodeCursor(query.cursor) : 0;
    const rows = await readReportPage(c.get("services").db, action.id, after, query.limit + 1);
    const items = rows.slice(0, query.limit);
    const more = rows.length > query.limit;
    return c.json({ items, nextCursor: more ? encodeCursor(items[items.length - 1]!.row) : null });
  },
});

export const failedRowsRoute = defineRoute({
  operationId: "getFailedRows",
  method: "GET",
  path: "/v1/actions/{referenceId}/failed-rows",
  tag: "actions",
  summary: "The rows that had an Error, to fix and upload again (CSV)",
  description:
    "A CSV upload's Error rows exactly as uploaded (its own header row and columns, in its own encoding, " +
    "separator and line ends) plus `Issue` and `Resolution` as the last two columns, which an upload " +
    "ignores; a cell a spreadsheet would run as a formula gets a leading `'`. For a package upload, " +
    "`File,Issue,Resolution` for each package that failed. Named `<upload name>-to-fix.csv` (`.txt` and " +
    "`.tsv` uploads keep their extension). Kept and expired with the error report: `410` after it.",
  auth: ["bearer", "cookie"],
  cache: PERSONAL,
  input: { params: ActionRef },
  answers: {
    200: {
      description:
        "The failed rows, in the upload's encoding (`charset` says which: utf-8, utf-16le or utf-16be).",
      content: {
        "text/csv": {
          schema: { type: "string" },
          examples: {
            rows: {
              summary: "A semicolon file's failed row",
              value:
                "\uFEFFemail;first_name;last_name;role;Issue;Resolution\r\n" +
                'ann@example.com;Ann;Lee;boss;"The role ""boss"" is not one of learner, instructor, manager or admin.";Change the role…\r\n',
            },
          },
        },
      },
      headers: { "Content-Disposition": contentDisposition },
    },
    ...REPORT_PROBLEMS,
    404: problem(
      404,
      "No such action of the caller's, or it has no failed rows (no row had an Error, or it takes no file).",
    ),
  },
  handler: async (c, { params }) => {
    const action = await actionWithReport(
      c,
      params.referenceId,
      hasFailedRows,
      "This action has no failed rows to give back: no row of its upload had an error.",
    );
    return failedRowsResponse(c.get("services").db, action);
  },
});

/** This file's routes, in the table's order. */
export const reportRoutes: Route[] = [errorReport, reportRowsRoute, failedRowsRoute];
