/**
 * `/v1/session`: the browser's way in. `POST` exchanges a bearer token (handed over by the portal) for the
 * HttpOnly `tracker_session` cookie, so the page's script never holds the token; `GET` tells the page who is
 * signed in (from the cookie only); `DELETE` signs out, with no credential, so an expired cookie can too.
 */
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import * as v from "valibot";
import { ROLES } from "../../actions/model";
import type { Principal } from "../../actions/principal";
import { AUTH_PROBLEMS, problems } from "../answers";
import type { AppEnv } from "../env";
import { SESSION_COOKIE, tokenOfHeader } from "../middleware";
import { defineRoute, type HeaderSpec, type Route } from "../route";

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis), and Hono refuses longer ones. */
const MAX_COOKIE_AGE_S = 400 * 86_400;

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

/** What the page may show about the signed-in person (never the token). */
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
  description: "The page's way in: the portal hands over a token once, and the page's script never holds it.",
  auth: ["bearer"],
  cache: "no-store",
  answers: {
    200: { ...signedIn("Signed in: the session cookie is set."), headers: { "Set-Cookie": setCookieHeader } },
    ...problems(...AUTH_PROBLEMS),
  },
  handler: (c) => {
    const principal = c.get("principal");
    setSessionCookie(c, tokenOfHeader(c.req.header("authorization") ?? ""), principal);
    return c.json(describe(principal));
  },
});

export const getSession = defineRoute({
  operationId: "getSession",
  method: "GET",
  path: "/v1/session",
  tag: "session",
  summary: "Who is signed in (the session cookie only)",
  auth: ["cookie"],
  cache: "no-store",
  answers: { 200: signedIn("The signed-in person."), ...problems(...AUTH_PROBLEMS) },
  handler: (c) => c.json(describe(c.get("principal"))),
});

export const endSession = defineRoute({
  operationId: "endSession",
  method: "DELETE",
  path: "/v1/session",
  tag: "session",
  summary: "Sign out",
  description: "Clears the session cookie; needs no credential, so an expired session can sign out too.",
  auth: [],
  cache: "no-store",
  answers: {
    204: { description: "Signed out.", headers: { "Set-Cookie": setCookieHeader } },
    ...problems(),
  },
  handler: (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
    return c.body(null, 204);
  },
});

export const sessionRoutes: Route[] = [startSession, getSession, endSession];
