/** Request id, authentication and the error envelope. */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { routePath } from "hono/route";
import { Refusal } from "../actions/errors";
import type { Principal } from "../actions/principal";
import { jsonString, PreparedLine } from "../lib/buffered-log";
import { TokenError } from "./auth";
import { refuseForeignOrigin } from "./csrf";
import type { AppEnv, Services } from "./env";
import { HttpProblem, problemOfRefusal, problemResponse } from "./problem";
import type { Credential } from "./route";

export const SESSION_COOKIE = "tracker_session";

let requestCounter = 0;
const processTag = Math.random().toString(36).slice(2, 8);

/** The caller's `X-Request-Id` when it is safe to echo back, else a new id unique to this process. */
export function requestIdFrom(given: string | null | undefined): string {
  return given && /^[\w.-]{1,64}$/.test(given) ? given : `${processTag}-${(++requestCounter).toString(36)}`;
}

/** One request's metrics and its JSON log line. */
export function recordRequest(
  services: Services,
  id: string,
  method: string,
  route: string,
  status: number,
  started: number,
): void {
  const seconds = (performance.now() - started) / 1000;
  services.metrics.request(route, method, status, seconds);
  services.log(new RequestLine(id, method, route, status, Math.round(seconds * 10_000) / 10));
}

class RequestLine extends PreparedLine {
  readonly msg = "request";
  constructor(
    readonly requestId: string,
    readonly method: string,
    readonly route: string,
    readonly status: number,
    readonly ms: number,
  ) {
    super();
  }
  json(): string {
    return `{"msg":"request","requestId":${jsonString(this.requestId)},"method":${jsonString(this.method)},"route":${jsonString(this.route)},"status":${this.status},"ms":${this.ms}}`;
  }
}

/** Gives every request an id, returned in `X-Request-Id` and in every problem+json. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = requestIdFrom(c.req.header("x-request-id"));
  c.set("requestId", id);
  const started = performance.now();
  await next();
  c.res.headers.set("x-request-id", id);
  const services = c.get("services");
  if (!services) return;
  // After next(), the route index is the handler that answered: its pattern names the route.
  const matched = routePath(c);
  const route = matched === "*" || matched === "/*" ? "(unmatched)" : matched;
  recordRequest(services, id, c.req.method, route, c.res.status, started);
};

/**
 * Who is asking, from `Authorization: Bearer` or the session cookie, whichever the route accepts (the
 * header first); learners may not use the tracker. A poller's token verified before, or a session this
 * process holds, answers without waiting (a Principal); otherwise a Promise. Throws (or rejects with) the
 * 401 or 403 problem; with `originCheck`, a request signed in with the cookie from a foreign origin is a
 * 403 (csrf.ts).
 */
export function principalOf(
  c: Context<AppEnv>,
  services: Services,
  accepted: readonly Credential[],
  originCheck: boolean,
): Principal | Promise<Principal> {
  const header = accepted.includes("bearer") ? c.req.raw.headers.get("authorization") : null;
  if (header !== null) {
    // A poller sends the same `Bearer <token>` again and again: a verified one is found without parsing.
    const cached =
      header.startsWith("Bearer ") && services.verifier.cached(header.slice(7), services.clock.now());
    if (cached) return allowed(cached);
    return verifiedToken(tokenOfHeader(header), services).then(allowed);
  }
  if (!accepted.includes("cookie")) throw new HttpProblem(401, missing(accepted), { headers: challenge });
  return cookiePrincipal(c, services, accepted, originCheck);
}

/** The person of the session cookie (401 without one, or when it has ended); origin-checked when asked. */
function cookiePrincipal(
  c: Context<AppEnv>,
  services: Services,
  accepted: readonly Credential[],
  originCheck: boolean,
): Principal | Promise<Principal> {
  const sessionId = getCookie(c, SESSION_COOKIE);
  if (!sessionId) throw new HttpProblem(401, missing(accepted), { headers: challenge });
  if (originCheck) refuseForeignOrigin(c.req.raw, services.config);
  const found = services.sessions.find(sessionId, services.clock.now());
  return found instanceof Promise ? found.then(sessionAllowed) : sessionAllowed(found);
}

function allowed(principal: Principal): Principal {
  if (principal.role === "learner")
    throw new HttpProblem(403, "Learners cannot start or track bulk actions.");
  return principal;
}

function sessionAllowed(principal: Principal | null): Principal {
  if (!principal)
    throw new HttpProblem(401, "The session has ended: sign in again from your learning portal.", {
      headers: challenge,
    });
  return allowed(principal);
}

/** The token of an `Authorization: Bearer <token>` header, or null when the header is not that. */
export function bearerToken(header: string | null | undefined): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1] ?? null;
}

export function tokenOfHeader(header: string): string {
  const token = bearerToken(header);
  if (token === null)
    throw new HttpProblem(401, "The Authorization header must be 'Bearer <token>'.", { headers: challenge });
  return token;
}

/** What to send, said the way this route takes it. */
function missing(accepted: readonly Credential[]): string {
  if (!accepted.includes("cookie")) return "Send the access token as 'Authorization: Bearer <token>'.";
  if (!accepted.includes("bearer")) return "Not signed in.";
  return "Sign in: send a bearer token or the session cookie.";
}

/** The principal of a bearer token, or the 401 problem naming why it was refused. */
export async function verifiedToken(token: string, services: Services): Promise<Principal> {
  try {
    return await services.verifier.verify(token, services.clock.now());
  } catch (error) {
    if (error instanceof TokenError) {
      throw new HttpProblem(401, `The access token was refused: ${error.message}.`, { headers: challenge });
    }
    throw error;
  }
}

export const challenge = { "www-authenticate": 'Bearer realm="tracker"' };

/** The single error handler: known problems keep their status, anything else is a logged 500. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  const id = c.get("requestId");
  if (error instanceof HttpProblem) return problemResponse(error, id);
  if (error instanceof Refusal) return problemResponse(problemOfRefusal(error), id);
  const status = (error as { status?: number }).status;
  if (status === 413) return problemResponse(new HttpProblem(413, "The request body is too large."), id);
  if (status && status >= 400 && status < 500)
    return problemResponse(new HttpProblem(status, error.message), id);
  console.error(
    JSON.stringify({
      level: "error",
      requestId: id,
      msg: "unhandled error",
      error: String(error.stack ?? error),
    }),
  );
  return problemResponse(
    new HttpProblem(500, "Something went wrong on our side. Quote the request id if you report it."),
    id,
  );
}
