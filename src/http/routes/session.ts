/**
 * `/v1/session`: the browser's way in. `POST` exchanges a bearer token (handed over by the portal, with an
 * `exp`) for a session the tracker mints (sessions.ts): the HttpOnly `tracker_session` cookie holds its
 * id, so the page's script never holds the token and signing out ends it on the server. `GET` tells the
 * page who is signed in; `DELETE` revokes the session and clears the cookie. Mounted before the
 * authentication middleware: it authenticates itself, and signing out must work with an ended session too.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Principal } from "../auth";
import { isUnsafeMethod, ownOrigin, refuseForeignOrigin } from "../csrf";
import type { AppEnv } from "../env";
import { challenge, cookiePrincipal, SESSION_COOKIE, tokenOfHeader, verifiedToken } from "../middleware";
import { HttpProblem } from "../problem";

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
export async function startSession(c: Context<AppEnv>, principal: Principal): Promise<Principal> {
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

function learnersRefused(principal: Principal): Principal {
  if (principal.role === "learner")
    throw new HttpProblem(403, "Learners cannot start or track bulk actions.");
  return principal;
}

/** What the page may show about the signed-in person (never the token, never the session id). */
const describe = (p: Principal) => ({
  principal: { id: p.sub, portal: p.portal, role: p.role, email: p.email, name: p.name },
  expiresAt: p.exp === undefined ? null : new Date(p.exp * 1000).toISOString(),
});

export const sessionRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const header = c.req.header("authorization");
    if (!header)
      throw new HttpProblem(401, "Send the access token as 'Authorization: Bearer <token>'.", {
        headers: challenge,
      });
    const token = learnersRefused(await verifiedToken(tokenOfHeader(header), c.get("services")));
    const principal = await startSession(c, token);
    return c.json(describe(principal));
  })
  .get("/", async (c) => {
    if (!getCookie(c, SESSION_COOKIE)) throw new HttpProblem(401, "Not signed in.", { headers: challenge });
    return c.json(describe(await cookiePrincipal(c, c.get("services"))));
  })
  .delete("/", async (c) => {
    const services = c.get("services");
    const id = getCookie(c, SESSION_COOKIE);
    if (id) {
      // Another origin must not sign the person out either.
      if (isUnsafeMethod(c.req.method)) refuseForeignOrigin(c.req.raw, services.config);
      await services.sessions.revoke(id, services.clock.now());
    }
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    return c.body(null, 204);
  });
