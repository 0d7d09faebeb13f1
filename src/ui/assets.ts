/**
 * The page's files as served: the HTML shell (one for development, with the demo sign-in, one for
 * production), the script and the styles, each with its ETag; script and styles under a content-hashed
 * path, so they can be cached for a year and a deploy still shows up on the next load.
 */
import { renderPage } from "./page";

export interface Asset {
  body: string;
  type: string;
  etag: string;
}

export interface PageAssets {
  /** The shell, by whether the development sign-in may be offered. */
  html: { dev: Asset; production: Asset };
  /** Script and styles by their hashed path (`/assets/tracker.<hash>.js`). */
  byPath: Map<string, Asset>;
  paths: { js: string; css: string };
}

/** FNV-1a: a cache-busting fingerprint, not a security hash; runtime-agnostic and synchronous. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

const asset = (body: string, type: string): Asset => ({ body, type, etag: `"${fingerprint(body)}"` });

export function pageAssets(script: string, styles: string): PageAssets {
  const js = asset(script, "text/javascript; charset=utf-8");
  const css = asset(styles, "text/css; charset=utf-8");
  const paths = {
    js: `/assets/tracker.${fingerprint(script)}.js`,
    css: `/assets/tracker.${fingerprint(styles)}.css`,
  };
  const html = (devSignIn: boolean) =>
    asset(renderPage({ cssPath: paths.css, jsPath: paths.js, devSignIn }), "text/html; charset=utf-8");
  return {
    html: { dev: html(true), production: html(false) },
    byPath: new Map([
      [paths.js, js],
      [paths.css, css],
    ]),
    paths,
  };
}
