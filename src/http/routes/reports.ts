/** An action's downloads: the error report (and, beside it, whatever else an action offers as a file). */
import { normalizeReferenceId } from "../../actions/reference";
import { findOwnAction } from "../../actions/repository";
import { reportResponse } from "../../reports/download";
import { AUTH_PROBLEMS, contentDisposition, problem, problems } from "../answers";
import { PERSONAL } from "../headers";
import { HttpProblem } from "../problem";
import { defineRoute, type Route } from "../route";
import { ActionRef, actionNotFound } from "./poll";

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
    ...problems(...AUTH_PROBLEMS),
    404: problem(404, "No such action of the caller's, or the action has no report (no row had a problem)."),
    410: problem(410, "The report has expired (`expiredAt` says when)."),
  },
  handler: async (c, { params }) => {
    const { db } = c.get("services");
    const ref = normalizeReferenceId(params.referenceId);
    const action = ref ? await findOwnAction(db, c.get("principal"), ref) : null;
    if (!action) throw actionNotFound();
    if (action.reportRows === 0)
      throw new HttpProblem(404, "This action has no error report: no row had an error or a warning.");
    if (action.reportExpired) {
      const when = action.reportExpiresAt ? new Date(action.reportExpiresAt).toISOString() : null;
      throw new HttpProblem(
        410,
        `The error report expired${when ? ` on ${when}` : ""}; reports are kept for a limited time after the action ends.`,
        {
          type: "/problems/report-expired",
          extra: { expiredAt: when },
        },
      );
    }
    return reportResponse(db, action);
  },
});

/** This file's routes, in the table's order. */
export const reportRoutes: Route[] = [errorReport];
