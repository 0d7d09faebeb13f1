/** Request id, authentication and the error envelope. */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { routePath } from "hono/route";
import { TokenError } from "./auth";
import type { AppEnv } from "./env";
import { HttpProblem, problemResponse } from "./problem";

export const SESSION_COOKIE = "tracker_session";

let requestCounter = 0;
const processTag = Math.random().toString(36).slice(2, 8);

/** Gives every request an id, returned in `X-Request-Id` and in every problem+json. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const given = c.req.header("x-request-id");
  const id =
    given && /^[\w.-]{1,64}$/.test(given) ? given : `${processTag}-${(++requestCounter).toString(36)}`;
  c.set("requestId", id);
  const started = performance.now();
  await next();
  c.res.headers.set("x-request-id", id);
  const services = c.get("services");
  if (!services) return;
  // After next(), the route index is the handler that answered: its pattern names the route.
  const matched = routePath(c);
  const route = matched === "*" || matched === "/*" ? "(unmatched)" : matched;
  const seconds = (performance.now() - started) / 1000;
  services.metrics.request(route, c.req.method, c.res.status, seconds);
  services.log({
    msg: "request",
    requestId: id,
    method: c.req.method,
    route,
    status: c.res.status,
    ms: Math.round(seconds * 10_000) / 10,
  });
};

/** Reads the token from `Authorization: Bearer` or the session cookie; learners may not use the tracker. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  let token: string | undefined;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match)
      throw new HttpProblem(401, "The Authorization header must be 'Bearer <token>'.", {
        headers: challenge,
      });
    token = match[1];
  } else {
    token = getCookie(c, SESSION_COOKIE);
  }
  if (!token)
    throw new HttpProblem(401, "Sign in: send a bearer token or the session cookie.", { headers: challenge });
  const { verifier, clock } = c.get("services");
  try {
    c.set("principal", verifier.verify(token, clock.now()));
  } catch (error) {
    if (error instanceof TokenError) {
      throw new HttpProblem(401, `The access token was refused: ${error.message}.`, { headers: challenge });
    }
    throw error;
  }
  if (c.get("principal").role === "learner") {
    throw new HttpProblem(403, "Learners cannot start or track bulk actions.");
  }
  await next();
};

const challenge = { "www-authenticate": 'Bearer realm="tracker"' };

/** The single error handler: known problems keep their status, anything else is a logged 500. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  const id = c.get("requestId");
  if (error instanceof HttpProblem) return problemResponse(error, id);
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
