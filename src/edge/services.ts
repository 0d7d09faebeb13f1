/**
 * The edge composition: the same Services and Hono app as the Bun process, built once per isolate
 * from the Worker's bindings (cached per `env` object, which the runtime reuses across invocations).
 *
 * What differs from src/process.ts, and why (a Worker has no background timers, and an isolate may
 * serve one request and vanish):
 * - live streams are held by one Durable Object per portal (`STREAMS`, portal-streams.ts), told of each
 *   committed change by the code that made it; without the binding, each stream polls the log;
 * - the engine runs in turns driven by a queue (`ENGINE`, engine-queue.ts): `notify()` after a
 *   submission or a cancel asks for one; without the binding, `notify()` runs a burst in `waitUntil`
 *   and the cron another;
 * - uploads are written to R2 as they arrive (`BLOBS`, r2-upload-spool.ts), and content packages kept
 *   there; without it bodies are read whole (keep them small) and packages go to the database.
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
import { createMailSender, type MailSender } from "../mail/sender";
import { Metrics } from "../metrics/metrics";
import { type EdgeDatabase, openEdgeDatabase } from "./database";
import { requestTurn } from "./engine-queue";
import { currentInvocation } from "./invocation";
import { runWork } from "./jobs";
import { pollingStreamResponse } from "./poll-stream";
import { connectStream, StreamNotifier } from "./portal-streams";
import { R2BlobStore } from "./r2-blob-store";
import { R2UploadSpool } from "./r2-upload-spool";
import { type EdgeSettings, edgeSettings, textBindings } from "./settings";
import type { EdgeEnv } from "./types";

export interface Edge {
  config: Config;
  settings: EdgeSettings;
  database: EdgeDatabase;
  /** The object bindings (the queue, the stream objects, the bucket), as the runtime passed them. */
  bindings: Pick<EdgeEnv, "ENGINE" | "STREAMS" | "BLOBS">;
  notifier: StreamNotifier;
  services: Services;
  app: ReturnType<typeof createApp>;
  sender: MailSender;
  log: (line: Record<string, unknown>) => void;
}

const jsonLog = (line: Record<string, unknown>) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), ...line }));

const cache = new WeakMap<object, Edge>();

/** The isolate's Edge for these bindings; configuration errors throw (and are not cached). */
export function edgeFor(env: EdgeEnv): Edge {
  const cached = cache.get(env);
  if (cached) return cached;
  const edge = buildEdge(env);
  cache.set(env, edge);
  return edge;
}

/** Keeps the current invocation alive until `work` settles; a failure is logged, not thrown. */
function alongside(edge: Pick<Edge, "log">, what: string, work: Promise<unknown>): void {
  const settled = work.catch((error) =>
    edge.log({ level: "error", msg: `${what} failed`, error: String(error) }),
  );
  currentInvocation()?.ctx.waitUntil(settled);
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
  const bindings = { ENGINE: env.ENGINE, STREAMS: env.STREAMS, BLOBS: env.BLOBS };
  const notifier = new StreamNotifier(env.STREAMS, log);
  const edge = { config, settings, database, bindings, notifier, sender, log } as Edge;
  const { STREAMS, ENGINE, BLOBS } = env;
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
    ...(BLOBS ? { uploads: () => new R2UploadSpool(BLOBS) } : {}),
    notify: (portal) => {
      notifier.poke(portal);
      if (config.role === "api") return;
      if (ENGINE) alongside(edge, "engine request", requestTurn(ENGINE, "submitted"));
      else
        alongside(
          edge,
          "engine burst",
          runWork(edge, { budgetMs: settings.kickBudgetMs, clocksAt: null, waitForMail: true }),
        );
    },
    openStream: STREAMS
      ? (request) => connectStream(STREAMS, request)
      : (request) =>
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
