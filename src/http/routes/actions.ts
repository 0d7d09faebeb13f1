/** `/v1/actions`: start, list and cancel one's own actions, and their error reports (polls: poll.ts). */
import { Hono } from "hono";
import { describeRoute, resolver, validator } from "hono-openapi";
import * as v from "valibot";
import { isFinal, statusLabel } from "../../actions/model";
import { issuesToProblems, JsonSubmission, ListQuerySchema, MultipartSubmission } from "../../actions/params";
import { normalizeReferenceId } from "../../actions/reference";
import { findOwnAction, listOwnActions } from "../../actions/repository";
import { toView } from "../../actions/view";
import { cancelAction } from "../../engine/cancel";
import { submitAction } from "../../engine/intake";
import { readSubmission } from "../../engine/submit-request";
import { etagOf } from "../../events/action-cache";
import { transitionLogger } from "../../metrics/observe";
import { reportResponse } from "../../reports/download";
import type { AppEnv } from "../env";
import { HttpProblem, invalid } from "../problem";
import { actionNotFound } from "./poll";

const encodeCursor = (id: number) => Buffer.from(String(id)).toString("base64url");
function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, "base64url").toString());
  if (!Number.isSafeInteger(id) || id < 1)
    throw invalid([{ path: "cursor", message: "cursor is not a cursor from this API" }], 400);
  return id;
}

const ActionRef = v.object({ referenceId: v.string() });

export const actionRoutes = new Hono<AppEnv>()
  .post(
    "/",
    describeRoute({
      summary: "Start a bulk action",
      description:
        "JSON `{ type, params, scheduledFor?, notify? }`, or multipart/form-data with `type`, one or more `file` parts, `scheduledFor`, `notify`. Optional `Idempotency-Key` header.",
      requestBody: {
        content: {
          "application/json": { schema: resolver(JsonSubmission) },
          "multipart/form-data": { schema: resolver(MultipartSubmission) },
        },
      },
      responses: {
        202: {
          description: "Accepted; the action, with `Location` (`Idempotent-Replayed: true` on a repeat)",
        },
        400: { description: "Malformed body (problem+json)" },
        409: {
          description: "The first request with this Idempotency-Key is still being received (Retry-After)",
        },
        413: { description: "Body over MAX_UPLOAD_BYTES" },
        415: { description: "Neither JSON nor multipart, or JSON for a file type" },
        422: { description: "Invalid fields, each named in `errors`" },
        429: { description: "Over RATE_LIMIT_ACTIONS (Retry-After)" },
      },
    }),
    async (c) => {
      const services = c.get("services");
      const who = c.get("principal");
      // Checked before the body is read, so a flood costs nothing but this answer.
      const wait = services.limiter.take(`${who.portal}\u0000${who.sub}`, services.clock.now());
      if (wait > 0) {
        throw new HttpProblem(
          429,
          `You started more than ${services.config.rateLimitActions} actions in a minute; try again in ${wait} s.`,
          {
            type: "/problems/rate-limited",
            headers: { "retry-after": String(wait) },
          },
        );
      }
      const submission = await readSubmission(c.req.raw, services.config, services.uploads);
      const { action, created } = await submitAction(services, who, submission).finally(() =>
        submission.dispose(),
      );
      services.actionCache?.put(action);
      if (created) transitionLogger(services.metrics, services.log)(action, `request ${c.get("requestId")}`);
      services.notify?.(action.portalId);
      c.header("location", `/v1/actions/${action.referenceId}`);
      c.header("etag", etagOf(action));
      if (!created) c.header("idempotent-replayed", "true");
      return c.json(toView(action), 202);
    },
  )
  .get(
    "/",
    describeRoute({ summary: "List one's own actions, newest first" }),
    validator("query", ListQuerySchema, (result) => {
      if (!result.success) throw invalid(issuesToProblems(result.error as never), 400);
    }),
    async (c) => {
      const { db } = c.get("services");
      const query = c.req.valid("query");
      const page = await listOwnActions(db, c.get("principal"), {
        statuses: query.status,
        types: query.type,
        limit: query.limit,
        ...(query.cursor ? { beforeId: decodeCursor(query.cursor) } : {}),
      });
      return c.json({
        items: page.items.map(toView),
        nextCursor: page.nextBeforeId ? encodeCursor(page.nextBeforeId) : null,
      });
    },
  )
  .post(
    "/:referenceId/cancel",
    describeRoute({ summary: "Cancel an action that has not ended (409 when it has)" }),
    validator("param", ActionRef),
    async (c) => {
      const services = c.get("services");
      const who = c.get("principal");
      const ref = normalizeReferenceId(c.req.valid("param").referenceId);
      const action = ref ? await findOwnAction(services.db, who, ref) : null;
      if (!action) throw actionNotFound();
      const conflict = (status: string) =>
        new HttpProblem(
          409,
          `The action has already ended (${statusLabel(status)}); it cannot be cancelled.`,
          {
            type: "/problems/action-final",
          },
        );
      if (isFinal(action.status)) throw conflict(action.status);
      const cancelled = await cancelAction(services, action, `request ${c.get("requestId")}`);
      if (!cancelled) {
        const now = await findOwnAction(services.db, who, action.referenceId);
        throw conflict(now?.status ?? action.status);
      }
      c.header("etag", etagOf(cancelled));
      return c.json(toView(cancelled));
    },
  )
  .get(
    "/:referenceId/error-report",
    describeRoute({
      summary: "The action's error report as CSV (404 without one, 410 once expired)",
      responses: { 200: { description: "text/csv: Row,Status,Identifier,Issue,Resolution" } },
    }),
    validator("param", ActionRef),
    async (c) => {
      const { db } = c.get("services");
      const ref = normalizeReferenceId(c.req.valid("param").referenceId);
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
  );
