/**
 * One Bun process, put together by ROLE: the database (migrated), the app with its event tail and hub
 * (api), the engine and the clock jobs (worker). main.ts starts it; end-to-end tests start it in-process.
 */

import { dirname, resolve } from "node:path";
import { Cron } from "croner";
import { createApp } from "./app";
import type { Config } from "./config";
import { FsBlobStore } from "./content/fs-blob-store";
import { createDatabase } from "./db/client";
import { ensureDatabaseFolder, migrateDatabase } from "./db/migrate";
import {
  cleanUpEnded,
  SWEEP_UPLOADS_CRON,
  SWEEP_UPLOADS_WITHIN_MS,
  sweepEndedUploads,
} from "./engine/cleanup";
import { promoteDueActions, sweepTimeouts } from "./engine/clocks";
import { MAX_LEASE_ATTEMPTS, runnerOptions } from "./engine/options";
import { EngineRunner } from "./engine/runner";
import { EventHub } from "./events/hub";
import { pruneEvents } from "./events/log";
import { HEARTBEAT_MS } from "./events/stream";
import { EventTail } from "./events/tail";
import type { Services } from "./http/env";
import { guardServices } from "./http/guards";
import { RateLimiter } from "./http/rate-limit";
import { PRUNE_SESSIONS_CRON, pruneSessions } from "./http/sessions";
import { sweepSpool, UploadSpool } from "./http/upload-spool";
import { BufferedLog } from "./lib/buffered-log";
import { type Clock, systemClock } from "./lib/clock";
import { deliverOutbox } from "./mail/outbox";
import { createMailSender, type MailSender } from "./mail/sender";
import { Metrics } from "./metrics/metrics";
import { engineObserver, transitionLogger } from "./metrics/observe";
import { expireReports } from "./reports/expiry";
import { trackerPage } from "./ui/routes";

export interface ProcessOptions {
  clock?: Clock;
  mailSender?: MailSender;
  workerId?: string;
  log?: (line: Record<string, unknown>) => void;
}

export async function startProcess(config: Config, options: ProcessOptions = {}) {
  const clock = options.clock ?? systemClock;
  const stdout = options.log ? null : new BufferedLog((text) => process.stdout.write(text));
  const log = options.log ?? stdout!.log;
  ensureDatabaseFolder(config.databaseUrl);
  const database = createDatabase({
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    // A process that answers requests must never sleep on SQLite's write lock (db/busy.ts).
    nonBlocking: config.role !== "worker",
  });
  await migrateDatabase(database, config.databaseUrl);
  const { db } = database;
  const dataDir = config.databaseUrl.startsWith("file:")
    ? dirname(resolve(config.databaseUrl.slice(5).split("?")[0]!))
    : resolve("data");
  const hub = new EventHub();
  const metrics = new Metrics();
  const tail = new EventTail(db, hub);
  const workerId = options.workerId ?? `w-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const transitionContext = () => ({
    now: clock.now(),
    reportRetentionMs: config.reportRetentionMs,
    publicUrl: config.publicUrl,
  });

  const blobs = new FsBlobStore(resolve(dataDir, "blobs"));
  const spoolDir = resolve(dataDir, "uploads");
  await sweepSpool(spoolDir, clock.now());
  const runner = new EngineRunner(
    runnerOptions(config, {
      db,
      blobs,
      clock,
      workerId,
      log,
      chunksPerRead: 4,
      idlePollMs: 500,
      onCommit: () => tail.poke(),
      observe: engineObserver(metrics, log, workerId),
    }),
  );
  const sender =
    options.mailSender ??
    createMailSender({ RESEND_API_KEY: config.resendApiKey }, (line) => log(line as Record<string, unknown>));

  const services: Services = {
    db,
    clock,
    config,
    hub,
    ...guardServices(config, db),
    limiter: new RateLimiter(config.rateLimitActions),
    log,
    metrics,
    ...(config.role !== "worker" ? { actionCache: hub.actions } : {}),
    blobs,
    uploads: () => new UploadSpool(spoolDir),
    notify: () => {
      tail.poke();
      runner.wake();
    },
  };
  const app = createApp(services);
  // The page's script and styles are bundled now, on Bun's own threads, so its first load is not kept waiting.
  if (config.role !== "worker") {
    trackerPage().catch((error) => log({ level: "error", msg: "page build failed", error: String(error) }));
  }

  /** The clock jobs: plain functions on a croner schedule; `protect` keeps one run of each at a time. */
  const jobs: Cron[] = [];
  const every = (pattern: string, name: string, job: () => Promise<unknown>) =>
    jobs.push(
      // Croner names are global to the process: make them unique per tracker (tests run several).
      new Cron(pattern, { protect: true, name: `${name}:${workerId}` }, async () => {
        try {
          await job();
        } catch (error) {
          log({ level: "error", msg: `${name} failed`, error: String(error) });
        }
      }),
    );
  const api = config.role !== "worker";
  const worker = config.role !== "api";
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  /** Ends a mail run that waits for its next send slot when the process stops. */
  const mailStop = new AbortController();
  if (api) {
    await tail.start();
    heartbeat = setInterval(() => hub.pingAll(), HEARTBEAT_MS);
  }
  if (worker) {
    runner.run();
    every("* * * * * *", "promote-due", async () => {
      if ((await promoteDueActions(db, clock.now())) > 0) runner.wake();
    });
    const sweptBy = transitionLogger(metrics, log);
    every("*/5 * * * * *", "sweep-timeouts", async () => {
      const ended = await sweepTimeouts(db, {
        ...transitionContext(),
        actionTimeoutMs: config.actionTimeoutMs,
        maxAttempts: MAX_LEASE_ATTEMPTS,
      });
      for (const action of ended) {
        sweptBy(action, "sweeper");
        await cleanUpEnded({ db, blobs, now: clock.now(), publicUrl: config.publicUrl, log }, action);
      }
    });
    every("* * * * * *", "deliver-mail", () =>
      deliverOutbox(
        {
          db,
          sender,
          clock,
          from: config.mailFrom,
          rate: config.mailRate,
          log: (line) => log(line as Record<string, unknown>),
        },
        { workerId, leaseMs: config.workerLeaseMs, signal: mailStop.signal },
      ),
    );
    every(config.expiryCron, "expire-reports", () => expireReports(db, clock.now()));
    every("17 * * * *", "prune-events", () => pruneEvents(db, clock.now() - 30 * 86_400_000));
    every(PRUNE_SESSIONS_CRON, "prune-sessions", () => pruneSessions(db, clock.now()));
    // Uploads of actions whose end was committed by a process that died before cleaning up.
    every(SWEEP_UPLOADS_CRON, "sweep-uploads", () =>
      sweepEndedUploads(
        { db, blobs, now: clock.now(), publicUrl: config.publicUrl, log },
        SWEEP_UPLOADS_WITHIN_MS,
      ),
    );
  }

  return {
    app,
    services,
    runner,
    tail,
    database,
    async stop() {
      mailStop.abort();
      for (const job of jobs) job.stop();
      if (heartbeat) clearInterval(heartbeat);
      tail.stop();
      await runner.stop();
      database.close();
      stdout?.flush();
    },
  };
}

export type TrackerProcess = Awaited<ReturnType<typeof startProcess>>;
