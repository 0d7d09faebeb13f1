/**
 * Headers every answer carries. `nosniff` everywhere, so no browser ever runs an answer as something
 * other than its declared type. `Cache-Control: private, no-store` on the API's answers that do not set
 * their own: they are one person's data (lists, actions, the session, reports), which no shared cache
 * may keep and no browser needs to store. Routes that set their own keep it: the poll (`private,
 * no-cache`, revalidated with its ETag), the event stream (`no-cache, no-transform`, as the contract
 * says). The route table's routes get both from their route object (run-route.ts: each route's `cache`);
 * this middleware serves the page's routes and the 404/405 answers behind them.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";

export const PERSONAL = "private, no-store";

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("x-content-type-options", "nosniff");
  if (!headers.has("cache-control") && c.req.path.startsWith("/v1/")) headers.set("cache-control", PERSONAL);
};
