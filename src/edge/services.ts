/**
 * The edge composition: the same Services and Hono app as the Bun process, built once per isolate
 * from the Worker's bindings (cached per `env` object, which the runtime reuses across invocations).
 *
 * What differs from src/process.ts, and why:
 * - no background timers: streams poll the log per request (poll-stream.ts), and the engine and the
 *   clocks run in bounded bursts inside an invocation (jobs.ts), from the cron and from `notify()`;
 * - `notify()` (called after a submission or a cancel) hands an engine burst to the current request's
 *   `waitUntil`, so a small upload ends, and its email goes, seconds after the POST;
 * - blobs go to R2 when `BLOBS` is bound, else to the database.
 */
import { createApp } from "../app";
import { type Config, parseConfig } from "../config";
import type { BlobStore } from "../content/blob-store";
import { DbBlobStore } from "../content/db-blob-store";
import { EventHub } from "../events/hub";
import type { Services } from "../http/env";
import { guardServices } from "../http/guards";
import { RateLimiter } from "../http/rate-limit";
import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import { createMailSender, type MailSender } from "../mail/sender";
import { Metrics } from "../metrics/metrics";
import { type EdgeDatabase, openEdgeDatabase } from "./database";
import { currentInvocation } from "./invocation";
import { runWork } from "./jobs";
import { pollingStreamResponse } from "./poll-stream";
import { R2BlobStore } from "./r2-blob-store";
import type { EdgeEnv } from "./types";

/** The edge's own knobs (beyond the contract's variables), with defaults for a paid Workers plan. */
export interface EdgeSettings {
  /** Wall time of one engine burst (cron or kick). */
  engineBudgetMs: number;
  /** A kick runs in `waitUntil`, which lasts at most 30 s after the response. */
  kickBudgetMs: number;
  /** Statements one invocation may send before the engine (or a stream) stops. */
  queryBudget: number;
  streamMaxDurationMs: number;
  streamPollMs: number;
}

export interface Edge {
  config: Config;
  settings: EdgeSettings;
  database: EdgeDatabase;
  services: Services;
  app: ReturnType<typeof createApp>;
  sender: MailSender;
  log: (line: Record<string, unknown>) => void;
}

const jsonLog = (line: Record<string, unknown>) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), ...line }));

/** The textual bindings: vars and secrets (D1, R2 and other bindings are objects). */
export function textBindings(env: EdgeEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") vars[name] = value;
  return vars;
}

function durationOf(env: EdgeEnv, name: string, fallback: string): number {
  const raw = typeof env[name] === "string" ? (env[name] as string) : fallback;
  const ms = parseDuration(raw);
  if (ms === null) throw new Error(`${name} must be a duration such as 1s, 25s or 5m (got ${raw})`);
  return ms;
}

export function edgeSettings(env: EdgeEnv): EdgeSettings {
  const engineBudgetMs = durationOf(env, "ENGINE_BUDGET", "25s");
  const queryBudget = Number(env.ENGINE_QUERY_BUDGET ?? "800");
  if (!Number.isInteger(queryBudget) || queryBudget < 10) {
    throw new Error("ENGINE_QUERY_BUDGET must be a whole number of at least 10");
  }
  return {
    engineBudgetMs,
    kickBudgetMs: Math.min(engineBudgetMs, 25_000),
    queryBudget,
    streamMaxDurationMs: durationOf(env, "STREAM_MAX_DURATION", "5m"),
    streamPollMs: durationOf(env, "STREAM_POLL_INTERVAL", "1s"),
  };
}

const cache = new WeakMap<object, Edge>();

/** The isolate's Edge for these bindings; configuration errors throw (and are not cached). */
export function edgeFor(env: EdgeEnv): Edge {
  const cached = cache.get(env);
  if (cached) return cached;
  const edge = buildEdge(env);
  cache.set(env, edge);
  return edge;
}

function buildEdge(env: EdgeEnv, log = jsonLog): Edge {
  const config = parseConfig(textBindings(env));
  const settings = edgeSettings(env);
  const database = openEdgeDatabase(env);
  const { db } = database;
  const blobs: BlobStore = env.BLOBS ? new R2BlobStore(env.BLOBS) : new DbBlobStore(db);
  const baseUrl = typeof env.RESEND_BASE_URL === "string" ? env.RESEND_BASE_URL.trim() : "";
  // The SDK would read RESEND_BASE_URL from process.env, which only some compatibility dates fill.
  const sender = createMailSender(
    { RESEND_API_KEY: config.resendApiKey },
    (line) => log(line as Record<string, unknown>),
    baseUrl ? { baseUrl } : {},
  );
  const edge = { config, settings, database, sender, log } as Edge;
  const services: Services = {
    db,
    clock: systemClock,
    config,
    hub: new EventHub(),
    ...guardServices(config, db),
    limiter: new RateLimiter(config.rateLimitActions),
    log,
    metrics: new Metrics(),
    blobs,
    notify: () => {
      const invocation = currentInvocation();
      if (!invocation || config.role === "api") return;
      invocation.ctx.waitUntil(runWork(edge, { budgetMs: settings.kickBudgetMs, clocksAt: null }));
    },
    openStream: (request) =>
      pollingStreamResponse({
        db,
        ...request,
        pollMs: settings.streamPollMs,
        maxDurationMs: settings.streamMaxDurationMs,
        maxReads: settings.queryBudget,
      }),
  };
  edge.services = services;
  edge.app = createApp(services);
  return edge;
}
