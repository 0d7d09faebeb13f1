/**
 * `/v1/session`: the browser's way in. `POST` exchanges a bearer token (handed over by the portal) for the
 * HttpOnly `tracker_session` cookie, so the page's script never holds the token; `GET` tells the page who is
 * signed in; `DELETE` signs out. Mounted before the authentication middleware: it verifies tokens itself,
 * and signing out must work with an expired cookie too.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { type Principal, TokenError } from "../auth";
import type { AppEnv } from "../env";
import { SESSION_COOKIE } from "../middleware";
import { HttpProblem } from "../problem";

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis), and Hono refuses longer ones. */
const MAX_COOKIE_AGE_S = 400 * 86_400;
const challenge = { "www-authenticate": 'Bearer realm="tracker"' };

/** HTTPS directly, or behind a proxy that says so: the cookie is then `Secure`. */
export function isHttps(c: Context<AppEnv>): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https" || new URL(c.req.url).protocol === "https:";
}

/** Sets the session cookie for a verified token; its lifetime follows the token's `exp`. */
export function setSessionCookie(c: Context<AppEnv>, token: string, principal: Principal): void {
  const nowS = Math.floor(c.get("services").clock.now() / 1000);
  const maxAge =
    principal.exp === undefined ? undefined : Math.max(0, Math.min(principal.exp - nowS, MAX_COOKIE_AGE_S));
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: isHttps(c),
    ...(maxAge === undefined ? {} : { maxAge }),
  });
}

/** Verifies a token as the API does: 401 when refused, 403 for learners. */
function principalOf(c: Context<AppEnv>, token: string | undefined, missing: string): Principal {
  if (!token) throw new HttpProblem(401, missing, { headers: challenge });
  const { verifier, clock } = c.get("services");
  let principal: Principal;
  try {
    principal = verifier.verify(token, clock.now());
  } catch (error) {
    if (error instanceof TokenError)
      throw new HttpProblem(401, `The access token was refused: ${error.message}.`, { headers: challenge });
    throw error;
  }
  if (principal.role === "learner")
    throw new HttpProblem(403, "Learners cannot start or track bulk actions.");
  return principal;
}

/** What the page may show about the signed-in person (never the token). */
const describe = (p: Principal) => ({
  principal: { id: p.sub, portal: p.portal, role: p.role, email: p.email, name: p.name },
  expiresAt: p.exp === undefined ? null : new Date(p.exp * 1000).toISOString(),
});

export const sessionRoutes = new Hono<AppEnv>()
  .post("/", (c) => {
    const header = c.req.header("authorization");
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const token = match?.[1];
    const principal = principalOf(c, token, "Send the access token as 'Authorization: Bearer <token>'.");
    setSessionCookie(c, token!, principal);
    c.header("cache-control", "no-store");
    return c.json(describe(principal));
  })
  .get("/", (c) => {
    c.header("cache-control", "no-store");
    const principal = principalOf(c, getCookie(c, SESSION_COOKIE), "Not signed in.");
    return c.json(describe(principal));
  })
  .delete("/", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
    c.header("cache-control", "no-store");
    return c.body(null, 204);
  });
