/**
 * The tracker page at `GET /`: a small HTML shell plus one script and one stylesheet, served as
 * content-hashed assets (cached for a year, immutable) so the HTML itself can be revalidated cheaply.
 * Script and styles come from `#client-bundle`: built by Bun at start in the Bun process, prebuilt by
 * `wrangler deploy` for Workers (package.json "imports"); the same bytes either way.
 * A strict CSP (scripts and styles from 'self' only, Trusted Types with no policy) means no inline code
 * and no HTML-string sinks can run, even if a bug tried. In development only, `/dev/sign-in` starts a
 * session for the demo admin and sets its cookie: one click from `npm start` to a live page.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import { clientBundle } from "#client-bundle";
import { DEMO_ADMIN } from "../dev/sign-in-hint";
import type { AppEnv } from "../http/env";
import { openSession } from "../http/routes/session";
import { type Asset, type PageAssets, pageAssets } from "./assets";
import { safePath } from "./same-origin";

let assets: Promise<PageAssets> | null = null;
/** The page's files, made once per process (or isolate) from the client bundle. */
export const trackerPage = (): Promise<PageAssets> =>
  (assets ??= clientBundle().then((bundle) => pageAssets(bundle.script, bundle.styles)));

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

/** A path on this origin to return to after signing in; anything else becomes `/`. */
const safeNext = (next: string | undefined) => safePath(next) ?? "/";

export const uiRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { html } = await trackerPage();
    // The shell is the same for everyone; revalidate so a deploy shows up on the next load.
    return serve(c, c.get("services").config.production ? html.production : html.dev, "no-cache");
  })
  .get("/assets/:file", async (c) => {
    const item = (await trackerPage()).byPath.get(c.req.path);
    return item ? serve(c, item, IMMUTABLE) : c.notFound();
  })
  .get("/dev/sign-in", async (c) => {
    const { config, clock } = c.get("services");
    if (config.production) return c.notFound();
    await openSession(c, { ...DEMO_ADMIN, exp: Math.floor(clock.now() / 1000) + 7 * 86_400 });
    c.header("cache-control", "no-store");
    return c.redirect(safeNext(c.req.query("next")), 303);
  });
