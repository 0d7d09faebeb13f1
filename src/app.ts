/**
 * The Hono app, runtime-agnostic: it receives its services (database, clock, hub…) from the entry that
 * builds it (Bun in main.ts, Workers in worker.ts, tests directly) and holds no I/O of its own.
 */

import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { openAPIRouteHandler } from "hono-openapi";
import type { AppEnv, Services } from "./http/env";
import { securityHeaders } from "./http/headers";
import { requireMetricsToken } from "./http/metrics-access";
import { authenticate, onError, requestId } from "./http/middleware";
import { HttpProblem, problemResponse } from "./http/problem";
import { actionRoutes } from "./http/routes/actions";
import { eventRoutes } from "./http/routes/events";
import { pollHandler, pollRoutes } from "./http/routes/poll";
import { sessionRoutes } from "./http/routes/session";
import { uiRoutes } from "./ui/routes";

export function createApp(services: Services) {
  const app = new Hono<AppEnv>();
  app.use("*", securityHeaders);
  // Where CORS is on it wraps everything under /v1 (it answers preflights itself, before any logging).
  if (services.config.corsOrigins.length > 0) app.use("/v1/*", corsFor(services.config.corsOrigins));
  // Polls next: their route answers before any middleware below (it does its own id, auth, log, metrics).
  const poll = pollHandler(services);
  const polls = app.route("/v1/actions", pollRoutes(poll));
  app.use("*", async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use("*", requestId);
  app.onError(onError);
  app.notFound((c) => problemResponse(new HttpProblem(404, `Nothing at ${c.req.path}.`), c.get("requestId")));

  app.get("/healthz", async (c) => {
    await services.db.run(sql`SELECT 1`);
    return c.json({ status: "ok" });
  });

  app.route("/", uiRoutes);
  // Before authentication: signing out must work with an expired cookie too.
  app.route("/v1/session", sessionRoutes);
  app.get("/metrics", async (c) => {
    requireMetricsToken(services.config.metricsToken, c.req.header("authorization"));
    const body = await services.metrics.render(
      services.db,
      services.openStream ? null : services.hub,
      services.clock.now(),
    );
    return c.text(body, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  app.use("/v1/*", authenticate);
  const routes = polls.route("/v1/actions", actionRoutes).route("/v1/events", eventRoutes);

  app.get(
    "/openapi.json",
    openAPIRouteHandler(app, {
      documentation: {
        info: {
          title: "Bulk action tracker",
          version: "1.0.0",
          description: "Start, track and stream bulk actions of a learning portal.",
        },
        components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
        security: [{ bearer: [] }],
      },
    }),
  );
  methodNotAllowed(app);
  if (services.config.corsOrigins.length === 0) answerPollsAlone(app, poll);
  return routes;
}

/**
 * Polls are most of the traffic. In the app every route also matches the `*` middleware, so Hono composes
 * a chain of promises per request even though the poll handler answers first; a route matched alone is
 * answered synchronously. So a GET of one action goes to a second Hono app that holds only the poll
 * route (the same handler), and everything else to the app. With CORS on, polls stay behind its middleware.
 */
function answerPollsAlone(app: Hono<AppEnv>, poll: ReturnType<typeof pollHandler>): void {
  const polls = new Hono<AppEnv>().get("/v1/actions/:referenceId", poll);
  const throughMiddleware = app.fetch;
  app.fetch = (request, env, ctx) =>
    (request.method === "GET" || request.method === "HEAD") && POLL_URL.test(request.url)
      ? polls.fetch(request, env, ctx)
      : throughMiddleware(request, env, ctx);
}

const POLL_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/v1\/actions\/[^/?#]+(?:[?#]|$)/i;

const corsFor = (origins: string[]) =>
  cors({
    origin: origins,
    credentials: true,
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "Last-Event-ID"],
    exposeHeaders: ["ETag", "Location", "X-Request-Id"],
  });

/** Known paths called with another method answer 405 with `Allow`, not 404. */
function methodNotAllowed(app: Hono<AppEnv>) {
  const allowed: [RegExp, string][] = [
    [/^\/v1\/actions\/?$/, "GET, POST"],
    [/^\/v1\/actions\/[^/]+\/?$/, "GET"],
    [/^\/v1\/actions\/[^/]+\/cancel\/?$/, "POST"],
    [/^\/v1\/actions\/[^/]+\/error-report\/?$/, "GET"],
    [/^\/v1\/events\/?$/, "GET"],
    [/^\/v1\/session\/?$/, "GET, POST, DELETE"],
    [/^\/healthz$/, "GET"],
    [/^\/metrics$/, "GET"],
  ];
  app.all("*", (c) => {
    const match = allowed.find(([pattern]) => pattern.test(c.req.path));
    if (!match) return problemResponse(new HttpProblem(404, `Nothing at ${c.req.path}.`), c.get("requestId"));
    return problemResponse(
      new HttpProblem(405, `${c.req.method} is not allowed here; use ${match[1]}.`, {
        headers: { allow: match[1] },
      }),
      c.get("requestId"),
    );
  });
}

export type AppType = ReturnType<typeof createApp>;
