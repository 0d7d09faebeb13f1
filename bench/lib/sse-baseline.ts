/**
 * Baseline of the fan-out benchmark: a minimal Hono server on Bun whose `GET /v1/events` is Hono's
 * `streamSSE` helper, and whose `POST /publish` writes the given frames to every open stream at once.
 * No database, no authentication. Usage: PORT=… bun bench/lib/sse-baseline.ts
 */
import { Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { exitWithParent } from "./watchdog";

exitWithParent();

const subscribers = new Set<SSEStreamingApi>();
let nextId = 1;

const app = new Hono()
  .get("/healthz", (c) => c.json({ status: "ok", subscribers: subscribers.size }))
  .get("/v1/events", (c) =>
    streamSSE(c, async (stream) => {
      subscribers.add(stream);
      await stream.write(": connected\n\n");
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      subscribers.delete(stream);
    }),
  )
  .post("/publish", async (c) => {
    const { frames } = (await c.req.json()) as { frames: { event: string; data: string }[] };
    for (const frame of frames) {
      const id = String(nextId++);
      for (const stream of subscribers) void stream.writeSSE({ id, event: frame.event, data: frame.data });
    }
    return c.body(null, 204);
  });

Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1", fetch: app.fetch, idleTimeout: 120 });
