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

export const invalid = (errors: FieldProblem[], status = 422) =>
  new HttpProblem(
    status,
    errors.length === 1 ? errors[0]!.message : `The request has ${errors.length} problems.`,
    {
      errors,
      type: "/problems/invalid-request",
    },
  );

/** The status of each kind of domain refusal: the only place where the domain meets HTTP. */
const STATUS_OF: Record<RefusalKind, number> = { invalid: 422, conflict: 409 };

export function problemOfRefusal(refusal: Refusal): HttpProblem {
  const { problems, code, retryAfterSeconds } = refusal.options;
  return new HttpProblem(STATUS_OF[refusal.kind], refusal.message, {
    ...(problems ? { errors: problems } : {}),
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
      ...(requestId ? { "x-request-id": requestId } : {}),
      ...options.headers,
    },
  });
}
