/**
 * `/v1/session`: the browser's way in. `POST` exchanges a bearer token (handed over by the portal, with an
 * `exp`) for a session the tracker mints (src/http/sessions.ts): the HttpOnly `tracker_session` cookie holds
 * its id, so the page's script never holds the token and signing out ends it on the server. `GET` tells the
 * page who is signed in (from the cookie only); `DELETE` revokes the session and clears the cookie, with no
 * credential required, so an ended session can sign out too.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import * as v from "valibot";
import { ROLES } from "../../actions/model";
import type { Principal } from "../../actions/principal";
import { AUTH_PROBLEMS, problem, problems } from "../answers";
import { ownOrigin, refuseForeignOrigin } from "../csrf";
import type { AppEnv } from "../env";
import { PERSONAL } from "../headers";
import { challenge, SESSION_COOKIE } from "../middleware";
import { HttpProblem } from "../problem";
import { defineRoute, type HeaderSpec, type Route } from "../route";

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis), and Hono refuses longer ones. */
const MAX_COOKIE_AGE_S = 400 * 86_400;

/** HTTPS directly, or behind a proxy that says so: the cookie is then `Secure`. */
const isHttps = (c: Context<AppEnv>) => ownOrigin(c.req.raw).startsWith("https:");

const cookieOptions = (c: Context<AppEnv>) =>
  ({ httpOnly: true, sameSite: "Strict", path: "/", secure: isHttps(c) }) as const;

/**
 * Starts a session for `principal` (verified, with an `exp`) and sets its cookie, which lasts as long as
 * the session: SESSION_TTL, or less when the token ends sooner.
 */
export async function openSession(c: Context<AppEnv>, principal: Principal): Promise<Principal> {
  const { sessions, clock } = c.get("services");
  if (principal.exp === undefined)
    throw new HttpProblem(
      401,
      "The access token has no expiry (exp); a browser session is only started from a token that ends.",
      { headers: challenge },
    );
  const now = clock.now();
  const session = await sessions.start({ ...principal, exp: principal.exp }, now);
  const maxAge = Math.max(0, Math.min(Math.floor((session.expiresAt - now) / 1000), MAX_COOKIE_AGE_S));
  setCookie(c, SESSION_COOKIE, session.id, { ...cookieOptions(c), maxAge });
  return { ...principal, exp: Math.floor(session.expiresAt / 1000) };
}

/** What the page may show about the signed-in person (never the token, never the session id). */
const describe = (p: Principal) => ({
  principal: { id: p.sub, portal: p.portal, role: p.role, email: p.email, name: p.name },
  expiresAt: p.exp === undefined ? null : new Date(p.exp * 1000).toISOString(),
});

export const SessionSchema = v.pipe(
  v.strictObject({
    principal: v.strictObject({
      id: v.string(),
      portal: v.string(),
      role: v.picklist(ROLES),
      email: v.string(),
      name: v.string(),
    }),
    expiresAt: v.pipe(
      v.nullable(v.pipe(v.string(), v.isoTimestamp())),
      v.description("When the session ends."),
    ),
  }),
  v.title("Session"),
  v.metadata({
    examples: [
      {
        principal: { id: "u-1", portal: "p1", role: "admin", email: "ada@example.com", name: "Ada Admin" },
        expiresAt: "2026-03-08T09:00:00.000Z",
      },
    ],
  }),
);

const setCookieHeader: HeaderSpec = {
  description: `The \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS).`,
  schema: v.pipe(v.string(), v.startsWith(`${SESSION_COOKIE}=`)),
  required: true,
};

const signedIn = (description: string) => ({
  description,
  content: { "application/json": { schema: SessionSchema } },
});

export const startSession = defineRoute({
  operationId: "startSession",
  method: "POST",
  path: "/v1/session",
  tag: "session",
  summary: "Exchange a bearer token for the session cookie",
  description:
    "The page's way in: the portal hands over a token once (it must have an `exp`), and the page's script never holds it. The session lasts SESSION_TTL, or until the token's `exp` when that comes first.",
  auth: ["bearer"],
  cache: PERSONAL,
  answers: {
    200: { ...signedIn("Signed in: the session cookie is set."), headers: { "Set-Cookie": setCookieHeader } },
    ...problems(...AUTH_PROBLEMS),
  },
  handler: async (c) => c.json(describe(await openSession(c, c.get("principal")))),
});

export const getSession = defineRoute({
  operationId: "getSession",
  method: "GET",
  path: "/v1/session",
  tag: "session",
  summary: "Who is signed in (the session cookie only)",
  auth: ["cookie"],
  cache: PERSONAL,
  answers: { 200: signedIn("The signed-in person."), ...problems(...AUTH_PROBLEMS) },
  handler: (c) => c.json(describe(c.get("principal"))),
});

export const endSession = defineRoute({
  operationId: "endSession",
  method: "DELETE",
  path: "/v1/session",
  tag: "session",
  summary: "Sign out",
  description:
    "Ends the session on the server and clears the cookie; needs no credential, so an ended session can sign out too. With a session cookie, the request must come from the tracker's page or a CORS_ORIGINS page.",
  auth: [],
  cache: PERSONAL,
  answers: {
    204: { description: "Signed out.", headers: { "Set-Cookie": setCookieHeader } },
    403: problem(403, "The session cookie came with a request from a foreign origin (CSRF)."),
    ...problems(),
  },
  handler: async (c) => {
    const services = c.get("services");
    const id = getCookie(c, SESSION_COOKIE);
    if (id) {
      // Another origin must not sign the person out either.
      refuseForeignOrigin(c.req.raw, services.config);
      await services.sessions.revoke(id, services.clock.now());
    }
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    return c.body(null, 204);
  },
});

export const sessionRoutes: Route[] = [startSession, getSession, endSession];
