/**
 * Baseline server: bare Hono on Bun answering a small JSON, nothing else (no database, no middleware).
 * Usage: PORT=… bun bench/lib/bare-hono.ts
 */
import { Hono } from "hono";
import { exitWithParent } from "./watchdog";

exitWithParent();

const app = new Hono().get("/json", (c) =>
  c.json({ referenceId: "BA-7K3Q9X2M", status: "in_progress", version: 7 }),
);
app.get("/healthz", (c) => c.json({ status: "ok" }));
Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1", fetch: app.fetch });
