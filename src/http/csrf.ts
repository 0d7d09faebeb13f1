/**
 * Cross-site request forgery. The session cookie is `SameSite=Strict`, which stops pages of other sites
 * only: another origin of the same site (another port, a sibling subdomain — where a portal serves
 * uploaded SCORM content, say) still sends it, and a form posted from there needs no CORS preflight. So an
 * unsafe request (POST, DELETE…) signed in with the cookie must say where it comes from:
 *
 * - `Origin` is the tracker's own (the request's scheme and host, or PUBLIC_URL's origin), and
 *   `Sec-Fetch-Site`, where the browser sends it, is `same-origin`;
 * - or `Origin` is listed in CORS_ORIGINS (the portal's page) and `Sec-Fetch-Site`, where sent, is
 *   `same-origin` or `same-site`. A listed origin on another site cannot carry the Strict cookie at all,
 *   so a `cross-site` request with it is not a browser's and is refused too.
 *
 * Browsers send `Origin` on every POST and DELETE, their own page's included; a cookie request without
 * one is not from a browser page and is refused. Bearer-token requests are not affected: no page can add
 * an Authorization header to another origin's request without CORS allowing it.
 */
import type { AppConfig } from "./env";
import { HttpProblem } from "./problem";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const isUnsafeMethod = (method: string) => !SAFE_METHODS.has(method);

/** The origin a request was addressed to, as its browser saw it (https behind a TLS proxy that says so). */
export function ownOrigin(request: Request): string {
  const url = new URL(request.url);
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const scheme = forwarded === "https" || url.protocol === "https:" ? "https:" : url.protocol;
  return `${scheme}//${url.host}`;
}

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/** Throws 403 unless a cookie-authenticated unsafe request comes from the tracker or a listed origin. */
export function refuseForeignOrigin(
  request: Request,
  config: Pick<AppConfig, "corsOrigins" | "publicUrl">,
): void {
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  if (origin === null || origin === "null") throw forbidden("it has no Origin");
  if (origin === ownOrigin(request) || origin === originOf(config.publicUrl)) {
    if (site !== null && site !== "same-origin") throw forbidden(`Sec-Fetch-Site is ${site}`);
    return;
  }
  if (config.corsOrigins.includes(origin)) {
    if (site !== null && site !== "same-origin" && site !== "same-site")
      throw forbidden(`Sec-Fetch-Site is ${site}`);
    return;
  }
  throw forbidden(`its Origin is not the tracker's or listed in CORS_ORIGINS`);
}

const forbidden = (why: string) =>
  new HttpProblem(
    403,
    `A request signed in with the session cookie must come from the tracker's page or a page listed in CORS_ORIGINS; this one was refused because ${why}.`,
    { type: "/problems/cross-origin" },
  );
