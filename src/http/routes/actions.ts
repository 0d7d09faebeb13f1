/** `/v1/actions`: list one's own actions, and cancel one (starting: start-action.ts; polling: poll.ts). */
import * as v from "valibot";
import { isFinal, statusLabel } from "../../actions/model";
import { ListQuerySchema } from "../../actions/params";
import { normalizeReferenceId } from "../../actions/reference";
import { findOwnAction, listOwnActions } from "../../actions/repository";
import { type ActionPage, toView } from "../../actions/view";
import { ActionViewSchema, EXAMPLE_ACTION } from "../../actions/view-schema";
import { cancelAction } from "../../engine/cancel";
import { etagOf } from "../../events/action-cache";
import { AUTH_PROBLEMS, etag, problem, problems } from "../answers";
import { decodeCursor, encodeCursor } from "../cursor";
import { PERSONAL } from "../headers";
import { HttpProblem } from "../problem";
import { defineRoute, type Route } from "../route";
import { ActionRef, ownAction, pollAction } from "./poll";
import { startAction } from "./start-action";

export const ActionListSchema = v.pipe(
  v.strictObject({
    items: v.array(ActionViewSchema),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description("Pass as `cursor` for the next page; null on the last page."),
    ),
  }),
  v.title("ActionList"),
);

export const listActions = defineRoute({
  operationId: "listActions",
  method: "GET",
  path: "/v1/actions",
  tag: "actions",
  summary: "List one's own actions, newest first",
  description:
    "Filters combine: `status` and `type` (comma-separated lists), `retryOf` (the actions that retry one, for its chain).",
  auth: ["bearer", "cookie"],
  cache: PERSONAL,
  input: { query: ListQuerySchema },
  answers: {
    200: {
      description: "A page of actions, newest first.",
      content: {
        "application/json": {
          schema: ActionListSchema,
          examples: { page: { summary: "One page", value: { items: [EXAMPLE_ACTION], nextCursor: "MTI" } } },
        },
      },
    },
    ...problems(400, ...AUTH_PROBLEMS),
  },
  handler: async (c, { query }) => {
    const { db } = c.get("services");
    const page = await listOwnActions(db, c.get("principal"), {
      statuses: query.status,
      types: query.type,
      limit: query.limit,
      ...(query.cursor ? { beforeId: decodeCursor(query.cursor) } : {}),
      // A text that is no reference ID is retried by nothing: it matches no action.
      ...(query.retryOf !== undefined ? { retryOf: normalizeReferenceId(query.retryOf) ?? "" } : {}),
    });
    return c.json({
      items: page.items.map(toView),
      nextCursor: page.nextBeforeId ? encodeCursor(page.nextBeforeId) : null,
    } satisfies ActionPage);
  },
});

export const cancelActionRoute = defineRoute({
  operationId: "cancelAction",
  method: "POST",
  path: "/v1/actions/{referenceId}/cancel",
  tag: "actions",
  summary: "Cancel an action that has not ended",
  description: "Cancelling step 1 of a task cancels the task. `409` once the action is final.",
  auth: ["bearer", "cookie"],
  cache: PERSONAL,
  input: { params: ActionRef },
  answers: {
    200: {
      description: "The action, now cancelled.",
      content: {
        "application/json": {
          schema: ActionViewSchema,
          examples: {
            cancelled: {
              summary: "Cancelled",
              value: { ...EXAMPLE_ACTION, status: "cancelled", statusLabel: "Cancelled", errorReport: null },
            },
          },
        },
      },
      headers: { ETag: etag },
    },
    ...problems(...AUTH_PROBLEMS, 404),
    409: problem(409, "The action has already ended; it cannot be cancelled."),
  },
  handler: async (c, { params }) => {
    const services = c.get("services");
    const who = c.get("principal");
    const action = await ownAction(c, params.referenceId);
    const conflict = (status: string) =>
      new HttpProblem(409, `The action has already ended (${statusLabel(status)}); it cannot be cancelled.`, {
        type: "/problems/action-final",
      });
    if (isFinal(action.status)) throw conflict(action.status);
    const cancelled = await cancelAction(services, action, `request ${c.get("requestId")}`);
    if (!cancelled) {
      const now = await findOwnAction(services.db, who, action.referenceId);
      throw conflict(now?.status ?? action.status);
    }
    c.header("etag", etagOf(cancelled));
    return c.json(toView(cancelled));
  },
});

/** Every route about actions themselves, in the table's order (downloads: reports.ts). */
export const actionRoutes: Route[] = [startAction, listActions, pollAction, cancelActionRoute];
