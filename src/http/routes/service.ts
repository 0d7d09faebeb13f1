/** Routes for operators: liveness and Prometheus metrics (the document itself: routes/index.ts). */
import { sql } from "drizzle-orm";
import * as v from "valibot";
import { problem, problems } from "../answers";
import { requireMetricsToken } from "../metrics-access";
import { defineRoute, type Route } from "../route";

export const HealthSchema = v.pipe(
  v.strictObject({ status: v.literal("ok") }),
  v.title("Health"),
  v.metadata({ examples: [{ status: "ok" }] }),
);

export const health = defineRoute({
  operationId: "health",
  method: "GET",
  path: "/healthz",
  tag: "service",
  summary: "Liveness: 200 once the database answers",
  auth: [],
  cache: "no-store",
  answers: {
    200: { description: "The database answered.", content: { "application/json": { schema: HealthSchema } } },
    ...problems(),
  },
  handler: async (c) => {
    await c.get("services").db.run(sql`SELECT 1`);
    return c.json({ status: "ok" as const });
  },
});

export const metrics = defineRoute({
  operationId: "metrics",
  method: "GET",
  path: "/metrics",
  tag: "service",
  summary: "Prometheus metrics",
  description:
    "Actions by type and status, queue depth and age, slice durations, open streams, event-tail lag, " +
    "outbox backlog, HTTP requests and latency by route. No tenant data: no portal, person, reference or " +
    "file name is ever a label. With METRICS_TOKEN set (advised in production) it wants " +
    "`Authorization: Bearer <METRICS_TOKEN>`, a static token of the operator's, not an access token.",
  auth: [],
  cache: "no-store",
  answers: {
    200: {
      description: "The Prometheus text exposition format, version 0.0.4.",
      content: {
        "text/plain": {
          schema: { type: "string" },
          examples: {
            metrics: {
              summary: "A few lines",
              value: "# TYPE tracker_queue_depth gauge\ntracker_queue_depth 0\n",
            },
          },
        },
      },
    },
    401: problem(401, "METRICS_TOKEN is set and the request did not carry it."),
    ...problems(),
  },
  handler: async (c) => {
    const services = c.get("services");
    requireMetricsToken(services.config.metricsToken, c.req.header("authorization"));
    const body = await services.metrics.render(
      services.db,
      services.openStream ? null : services.hub,
      services.clock.now(),
    );
    return c.text(body, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  },
});

export const serviceRoutes: Route[] = [health, metrics];
