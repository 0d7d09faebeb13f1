/**
 * The tracker page at `GET /`: a small HTML shell plus one script and one stylesheet, served as
 * content-hashed assets (cached for a year, immutable) so the HTML itself can be revalidated cheaply.
 * Everything is built once from strings in memory, so it serves the same on Bun and at the edge.
 * A strict CSP (scripts and styles from 'self' only, Trusted Types with no policy) means no inline code
 * and no HTML-string sinks can run, even if a bug tried. In development only, `/dev/sign-in` starts a
 * session for the demo admin and sets its cookie: one click from `npm start` to a live page.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { DEMO_ADMIN } from "../dev/sign-in-hint";
import type { AppEnv } from "../http/env";
import { startSession } from "../http/routes/session";
import { renderPage } from "./page";
import { PAGE_JS } from "./page-live";
import { PAGE_CSS } from "./page-style";

/** FNV-1a: a cache-busting fingerprint, not a security hash; runtime-agnostic and synchronous. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset & { hash: string } {
  const hash = fingerprint(body);
  return { body, type, etag: `"${hash}"`, hash };
}

const css = asset(PAGE_CSS, "text/css; charset=utf-8");
const js = asset(PAGE_JS, "text/javascript; charset=utf-8");
export const ASSET_PATHS = { css: `/assets/tracker.${css.hash}.css`, js: `/assets/tracker.${js.hash}.js` };

const pages = {
  dev: asset(renderPage({ cssPath: ASSET_PATHS.css, jsPath: ASSET_PATHS.js, devSignIn: true }), "text/html"),
  production: asset(
    renderPage({ cssPath: ASSET_PATHS.css, jsPath: ASSET_PATHS.js, devSignIn: false }),
    "text/html",
  ),
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** Serves an asset with its ETag; a matching `If-None-Match` answers 304 without the body. */
function serve(c: Context<AppEnv>, item: Asset, cacheControl: string): Response {
  const headers = { ...SECURITY_HEADERS, "cache-control": cacheControl, etag: item.etag };
  const given = c.req.header("if-none-match");
  if (given?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === item.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(item.body, { headers: { ...headers, "content-type": item.type } });
}

const IMMUTABLE = "public, max-age=31536000, immutable";

/** A relative path on this origin to return to after signing in; anything else becomes `/`. */
const safeNext = (next: string | undefined) => (next && /^\/(?![/\\])/.test(next) ? next : "/");

export const uiRoutes = new Hono<AppEnv>()
  .get("/", (c) => {
    const page = c.get("services").config.production ? pages.production : pages.dev;
    // The shell is the same for everyone; revalidate so a deploy shows up on the next load.
    return serve(c, { ...page, type: "text/html; charset=utf-8" }, "no-cache");
  })
  .get(ASSET_PATHS.css, (c) => serve(c, css, IMMUTABLE))
  .get(ASSET_PATHS.js, (c) => serve(c, js, IMMUTABLE))
  .get("/dev/sign-in", async (c) => {
    const { config, clock } = c.get("services");
    if (config.production) return c.notFound();
    await startSession(c, { ...DEMO_ADMIN, exp: Math.floor(clock.now() / 1000) + 7 * 86_400 });
    c.header("cache-control", "no-store");
    return c.redirect(safeNext(c.req.query("next")), 303);
  });

/** The total bytes a first visit downloads (HTML, script, styles): the budget is 50 KB. */
export function pageWeight(): { html: number; js: number; css: number; total: number } {
  const size = (text: string) => new TextEncoder().encode(text).byteLength;
  const html = size(pages.dev.body);
  const total = html + size(js.body) + size(css.body);
  return { html, js: size(js.body), css: size(css.body), total };
}
