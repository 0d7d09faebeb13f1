/**
 * The Hono app, runtime-agnostic: it receives its services (database, clock, hub…) from the entry that
 * builds it (Bun in main.ts, Workers in worker.ts, tests directly) and holds no I/O of its own. The API is
 * the route table (src/http/routes/index.ts), mounted as one handler per route; the page's routes answer
 * whatever the table does not.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv, Services } from "./http/env";
import { securityHeaders } from "./http/headers";
import { onError, requestId } from "./http/middleware";
import { allowedMethods, mountRoutes, unrouted } from "./http/mount";
import { ROUTES } from "./http/routes";
import { uiRoutes } from "./ui/routes";

export function createApp(services: Services) {
  const app = new Hono<AppEnv>();
  // Where CORS is on it wraps everything under /v1 (it answers preflights itself, before any logging).
  // Without it nothing stands in front of a route's handler, so a poll is answered synchronously.
  if (services.config.corsOrigins.length > 0) app.use("/v1/*", corsFor(services.config.corsOrigins));
  mountRoutes(app, ROUTES, services);
  const page = pageApp(services, unrouted(allowedMethods(ROUTES)));
  // `c.env` is the Workers bindings object at the edge, undefined on Bun.
  app.notFound((c) => page.fetch(c.req.raw, c.env));
  app.onError(onError);
  return app;
}

/** The tracker page and its assets, behind the request id middleware; anything else ends here, 404 or 405. */
function pageApp(services: Services, otherwise: ReturnType<typeof unrouted>) {
  const page = new Hono<AppEnv>();
  page.use("*", async (c, next) => {
    c.set("services", services);
    await next();
  });
  page.use("*", requestId);
  page.use("*", securityHeaders);
  page.onError(onError);
  page.route("/", uiRoutes);
  page.notFound((c) => otherwise(c.req.method, c.req.path, c.get("requestId")));
  return page;
}

const corsFor = (origins: string[]) =>
  cors({
    origin: origins,
    credentials: true,
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "Last-Event-ID"],
    exposeHeaders: ["ETag", "Location", "X-Request-Id"],
  });
