/**
 * `GET /v1/actions/:referenceId`, the hottest route: every open tracker and every polling client asks it
 * every few seconds. createApp registers it before any middleware and it answers on its own — request
 * id, authentication, the access check, the ETag, its log line and metrics — so a poll is a few map
 * lookups: no middleware chain, and no database read while the action cache holds the action (see
 * events/action-cache.ts for why that answer is never older than what the person was streamed).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { normalizeReferenceId } from "../../actions/reference";
import { findOwnAction } from "../../actions/repository";
import { type CachedAction, cacheable } from "../../events/action-cache";
import type { Principal } from "../auth";
import type { AppEnv, Services } from "../env";
import { onError, principalOf, recordRequest, requestIdFrom } from "../middleware";
import { HttpProblem } from "../problem";

const ROUTE = "/v1/actions/:referenceId";

export const actionNotFound = () => new HttpProblem(404, "No action with this reference ID.");

/** Mounted at `/v1/actions` ahead of every middleware; `poll` is the handler from `pollHandler`. */
export function pollRoutes(poll: ReturnType<typeof pollHandler>) {
  return new Hono<AppEnv>().get(
    "/:referenceId",
    describeRoute({ summary: "One action, with an ETag (If-None-Match answers 304)" }),
    poll,
  );
}

export function pollHandler(services: Services) {
  return (c: Context<AppEnv>): Response | Promise<Response> => {
    const started = performance.now();
    const id = requestIdFrom(c.req.raw.headers.get("x-request-id"));
    let answer: Response | Promise<Response>;
    try {
      const who = principalOf(c, services);
      answer =
        who instanceof Promise ? who.then((p) => poll(c, services, p, id)) : poll(c, services, who, id);
    } catch (error) {
      answer = failed(c, id, error);
    }
    if (answer instanceof Response) return recorded(services, c, id, started, answer);
    return answer
      .catch((error) => failed(c, id, error))
      .then((res) => recorded(services, c, id, started, res));
  };
}

function failed(c: Context<AppEnv>, id: string, error: unknown): Response {
  c.set("requestId", id);
  return onError(error as Error, c);
}

function recorded(services: Services, c: Context<AppEnv>, id: string, started: number, res: Response) {
  recordRequest(services, id, c.req.method, ROUTE, res.status, started);
  return res;
}

/**
 * From the cache when it holds the caller's own action at least as new as the client's ETag; else from
 * the database. Someone else's cached action falls through to the database like an unknown reference
 * (whose query finds nothing for this caller either): answered from the cache it came back in ~250 µs
 * against ~600 µs for a miss, which told by timing alone that the reference exists.
 */
function poll(
  c: Context<AppEnv>,
  { db, actionCache }: Services,
  who: Principal,
  id: string,
): Response | Promise<Response> {
  const ref = normalizeReferenceId(c.req.param("referenceId") ?? "");
  if (!ref) throw actionNotFound();
  const ifNoneMatch = c.req.raw.headers.get("if-none-match");
  const cached = actionCache?.get(ref);
  // The usual poll sends no ETag or the current one: no parsing needed.
  if (
    cached &&
    cached.requesterId === who.sub &&
    cached.portalId === who.portal &&
    (ifNoneMatch === null || ifNoneMatch === cached.etag || cached.version >= versionIn(ifNoneMatch, ref))
  )
    return answer(cached, who, ifNoneMatch, id);
  return findOwnAction(db, who, ref).then((row) => {
    if (!row) throw actionNotFound();
    return answer(actionCache?.put(row) ?? cacheable(row), who, ifNoneMatch, id);
  });
}

function answer(entry: CachedAction, who: Principal, ifNoneMatch: string | null, id: string): Response {
  // Someone else's action is answered exactly like one that does not exist.
  if (entry.portalId !== who.portal || entry.requesterId !== who.sub) throw actionNotFound();
  // `private, no-cache`, not `no-store`: the browser may keep the person's own action only to revalidate
  // it (a 304 is the cheap answer polls live on); no shared cache may keep it.
  const headers = {
    etag: entry.etag,
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
    "x-request-id": id,
  };
  if (matchesEtag(ifNoneMatch, entry.etag)) return new Response(null, { status: 304, headers });
  return new Response(entry.body, { headers: { ...headers, "content-type": "application/json" } });
}

function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header === etag) return true;
  return header.split(",").some((tag) => {
    const t = tag.trim().replace(/^W\//, "");
    return t === etag || t === "*";
  });
}

/** The highest version named by an If-None-Match for this reference (0 when none). */
function versionIn(header: string | null, ref: string): number {
  if (!header) return 0;
  let highest = 0;
  for (const tag of header.split(",")) {
    const match = /^\s*(?:W\/)?"([^".]+)\.(\d+)"\s*$/.exec(tag);
    if (match && match[1] === ref) highest = Math.max(highest, Number(match[2]));
  }
  return highest;
}
