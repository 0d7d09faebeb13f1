/** `POST /v1/actions`: start a bulk action, from JSON params or uploaded files. */
import * as v from "valibot";
import { toView } from "../../actions/view";
import { ActionViewSchema, EXAMPLE_ACTION } from "../../actions/view-schema";
import { submitAction } from "../../engine/intake";
import { etagOf } from "../../events/action-cache";
import { transitionLogger } from "../../metrics/observe";
import { AUTH_PROBLEMS, etag, location, problem, problems, retryAfter } from "../answers";
import { PERSONAL } from "../headers";
import { HttpProblem } from "../problem";
import { defineRoute } from "../route";
import { readSubmission } from "../submission";
import { withUploadPlace } from "../upload-gate";
import { FORM_EXAMPLES, formRequestBody, JSON_EXAMPLES, jsonRequestBody } from "./submission-bodies";

export const startAction = defineRoute({
  operationId: "startAction",
  method: "POST",
  path: "/v1/actions",
  tag: "actions",
  summary: "Start a bulk action",
  description:
    "JSON `{ type, params, scheduledFor?, notify? }` for the types that take params, or multipart/form-data " +
    "with `type`, one or more `file` parts, `scheduledFor` and `notify` (any type). Every problem is named " +
    "at once. The same `Idempotency-Key` from the same person returns the first action instead of a new one.",
  auth: ["bearer", "cookie"],
  cache: PERSONAL,
  input: {
    headers: v.object({
      "Idempotency-Key": v.optional(
        v.pipe(
          v.string(),
          v.regex(/^[\x21-\x7e]{1,200}$/, "Idempotency-Key must be 1 to 200 visible ASCII characters"),
          v.description(
            "Makes the request safe to repeat: the same key from the same person returns the first action.",
          ),
          v.metadata({ examples: ["enroll-42"] }),
        ),
      ),
    }),
  },
  body: {
    "application/json": {
      schema: jsonRequestBody,
      maxBytes: (config) => config.maxJsonBytes,
      noun: "A JSON body",
      examples: JSON_EXAMPLES,
    },
    "multipart/form-data": {
      schema: formRequestBody as never,
      maxBytes: (config) => config.maxUploadBytes,
      examples: FORM_EXAMPLES,
    },
  },
  answers: {
    202: {
      description: "Accepted: the action, to poll at `Location` (`Idempotent-Replayed: true` on a repeat).",
      content: {
        "application/json": {
          schema: ActionViewSchema,
          examples: {
            accepted: {
              summary: "A user upload, accepted",
              value: {
                ...EXAMPLE_ACTION,
                status: "not_started",
                statusLabel: "Not started",
                startedAt: null,
                completedAt: null,
                errorReport: null,
                progress: { total: 100, processed: 0, succeeded: 0, errors: 0, warnings: 0 },
                version: 1,
              },
            },
          },
        },
      },
      headers: {
        Location: location,
        ETag: etag,
        "Idempotent-Replayed": {
          description: "`true` when this is the answer to an earlier request with the same Idempotency-Key.",
          schema: v.literal("true"),
        },
      },
    },
    ...problems(400, ...AUTH_PROBLEMS, 415, 422),
    408: problem(408, "The body did not arrive within UPLOAD_DEADLINE."),
    409: problem(409, "The first request with this Idempotency-Key is still being received.", {
      "Retry-After": retryAfter,
    }),
    413: problem(
      413,
      "The body is over MAX_UPLOAD_BYTES, or a JSON body (or a form's text fields) over MAX_JSON_BYTES.",
    ),
    429: problem(
      429,
      "More actions started in a minute than RATE_LIMIT_ACTIONS allows, or MAX_UPLOADS_PER_PERSON uploads already being sent.",
    ),
    503: problem(503, "The process is receiving MAX_UPLOADS uploads already.", { "Retry-After": retryAfter }),
  },
  handler: async (c) => {
    const services = c.get("services");
    const who = c.get("principal");
    const person = `${who.portal}\u0000${who.sub}`;
    // Checked before the body is read, so a flood costs nothing but this answer.
    const wait = services.limiter.take(person, services.clock.now());
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
    const { action, created } = await withUploadPlace(services.uploadGate, person, c.req.raw, async () => {
      const submission = await readSubmission(c.req.raw, services.config, services.uploads);
      return submitAction(services, who, submission).finally(() => submission.dispose());
    });
    services.actionCache?.put(action);
    if (created) transitionLogger(services.metrics, services.log)(action, `request ${c.get("requestId")}`);
    services.notify?.(action.portalId);
    c.header("location", `/v1/actions/${action.referenceId}`);
    c.header("etag", etagOf(action));
    if (!created) c.header("idempotent-replayed", "true");
    return c.json(toView(action), 202);
  },
});
