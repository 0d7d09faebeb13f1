/**
 * One error envelope for the whole API: RFC 9457 problem+json. Every failure, from a validator to an
 * unknown route to a crash, leaves through `problemResponse`, with the request id to quote in a ticket.
 */
import type { FieldProblem, Refusal, RefusalKind } from "../actions/errors";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  408: "Request timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content too large",
  415: "Unsupported media type",
  422: "Unprocessable content",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: {
      errors?: FieldProblem[];
      type?: string;
      headers?: Record<string, string>;
      extra?: object;
    } = {},
  ) {
    super(detail);
  }
}

/**
 * Problems listed in one answer. A hostile body can hold thousands of wrong items; naming each made an
 * 8 MB answer. The first ones are listed, and `moreErrors` counts the rest.
 */
export const MAX_LISTED_PROBLEMS = 20;

/** `errors` of an answer: the first MAX_LISTED_PROBLEMS, and `moreErrors` counting the rest. */
function listed(errors: FieldProblem[]): { errors: FieldProblem[]; extra?: { moreErrors: number } } {
  if (errors.length <= MAX_LISTED_PROBLEMS) return { errors };
  return {
    errors: errors.slice(0, MAX_LISTED_PROBLEMS),
    extra: { moreErrors: errors.length - MAX_LISTED_PROBLEMS },
  };
}

export const invalid = (errors: FieldProblem[], status = 422) =>
  new HttpProblem(
    status,
    errors.length === 1 ? errors[0]!.message : `The request has ${errors.length} problems.`,
    { ...listed(errors), type: "/problems/invalid-request" },
  );

/** The status of each kind of domain refusal: the only place where the domain meets HTTP. */
const STATUS_OF: Record<RefusalKind, number> = { invalid: 422, conflict: 409 };

export function problemOfRefusal(refusal: Refusal): HttpProblem {
  const { problems, code, retryAfterSeconds } = refusal.options;
  return new HttpProblem(STATUS_OF[refusal.kind], refusal.message, {
    ...(problems ? listed(problems) : {}),
    ...(code ? { type: `/problems/${code}` } : {}),
    ...(retryAfterSeconds === undefined ? {} : { headers: { "retry-after": String(retryAfterSeconds) } }),
  });
}

export function problemResponse(problem: HttpProblem, requestId?: string): Response {
  const { status, detail, options } = problem;
  const body = {
    type: options.type ?? "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
    ...(options.errors ? { errors: options.errors } : {}),
    ...options.extra,
    ...(requestId ? { requestId } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/problem+json",
      "x-content-type-options": "nosniff",
      ...(requestId ? { "x-request-id": requestId } : {}),
      ...options.headers,
    },
  });
}
