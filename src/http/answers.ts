/**
 * The pieces that route objects share: the problem+json answers (one envelope for every 4xx and 5xx,
 * spread into each route's `answers`) and the answer headers several routes send.
 */
import * as v from "valibot";
import type { Answer, HeaderSpec } from "./route";

export const PROBLEM_JSON = "application/problem+json";

export const FieldProblemSchema = v.pipe(
  v.strictObject({
    path: v.pipe(
      v.string(),
      v.description("The field: `params.courses`, `limit`, `Idempotency-Key`, `file`."),
    ),
    message: v.pipe(v.string(), v.description("What is wrong with it, as a sentence that names it.")),
  }),
  v.title("FieldProblem"),
);

/** RFC 9457. Problem types may add members (`expiredAt` on a 410), so others are allowed. */
export const ProblemSchema = v.pipe(
  v.object({
    type: v.pipe(
      v.string(),
      v.description("`about:blank`, or a `/problems/…` name for this kind of problem."),
    ),
    title: v.string(),
    status: v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(599)),
    detail: v.pipe(v.string(), v.description("What happened and what to do, in a sentence.")),
    errors: v.optional(
      v.pipe(
        v.array(FieldProblemSchema),
        v.description("Every problem with the input, each naming its field."),
      ),
    ),
    moreErrors: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1),
        v.description("Problems beyond the first 20 listed in `errors`, counted but not listed."),
      ),
    ),
    requestId: v.pipe(v.string(), v.description("The same id as `X-Request-Id`: quote it in a ticket.")),
  }),
  v.title("Problem"),
  v.description("An error, as `application/problem+json` (RFC 9457)."),
);

const DESCRIPTIONS: Record<number, string> = {
  400: "The request is malformed: each problem is named in `errors`.",
  401: "No credential, or one that was refused (missing, malformed, badly signed or expired).",
  403: "Learners cannot start or track bulk actions; or a request signed in with the session cookie that changes something came from a foreign origin (CSRF).",
  404: "Nothing here, or an action that is not the caller's (answered exactly alike).",
  409: "Conflict with the current state.",
  410: "Gone.",
  413: "The body is larger than its limit.",
  415: "A media type this operation does not take.",
  422: "Well-formed, but invalid: each problem is named in `errors`.",
  408: "The body did not arrive in time.",
  429: "Too many requests; `Retry-After` says when to try again.",
  500: "Something failed on the tracker's side; quote the request id.",
  503: "Not available right now; try again.",
};

export const retryAfter: HeaderSpec = {
  description: "Seconds to wait before trying again.",
  schema: v.pipe(v.string(), v.regex(/^\d+$/)),
  required: true,
  example: "2",
};

const wwwAuthenticate: HeaderSpec = {
  description: "The bearer challenge (RFC 6750).",
  schema: v.string(),
  required: true,
  example: 'Bearer realm="tracker"',
};

const HEADERS_OF: Record<number, Record<string, HeaderSpec>> = {
  401: { "WWW-Authenticate": wwwAuthenticate },
  429: { "Retry-After": retryAfter },
};

/** A problem answer with this status; `description` and `headers` where the route says more. */
export function problem(
  status: number,
  description = DESCRIPTIONS[status] ?? "An error.",
  headers = HEADERS_OF[status],
): Answer {
  return {
    description,
    content: { [PROBLEM_JSON]: { schema: ProblemSchema } },
    ...(headers ? { headers } : {}),
  };
}

/** Problem answers for these statuses, with their usual descriptions; 500 is added to every route. */
export function problems(...statuses: number[]): Record<number, Answer> {
  return Object.fromEntries([...statuses, 500].map((status) => [status, problem(status)]));
}

/** The statuses that authentication itself may answer. */
export const AUTH_PROBLEMS = [401, 403] as const;

export const etag: HeaderSpec = {
  description: 'The action\'s version tag (`"<referenceId>.<version>"`): send it back as `If-None-Match`.',
  schema: v.pipe(v.string(), v.regex(/^"BA-[0-9A-HJKMNP-TV-Z]{8}\.\d+"$/)),
  required: true,
  example: '"BA-7K3Q9X2M.7"',
};

export const location: HeaderSpec = {
  description: "Where the action can be polled.",
  schema: v.pipe(v.string(), v.regex(/^\/v1\/actions\/BA-[0-9A-HJKMNP-TV-Z]{8}$/)),
  required: true,
  example: "/v1/actions/BA-7K3Q9X2M",
};

export const contentDisposition: HeaderSpec = {
  description: "An attachment named after the upload (`filename`, and `filename*` in UTF-8, RFC 6266).",
  schema: v.pipe(v.string(), v.startsWith("attachment; filename=")),
  required: true,
  example: "attachment; filename=\"users-errors.csv\"; filename*=UTF-8''users-errors.csv",
};
