/**
 * Work at the edge, in bounded turns instead of long-running loops: a turn runs the engine and the mail
 * outbox until everything is idle or its wall-time or query budget is spent. With the `ENGINE` queue
 * bound, a turn is one queue message (engine-queue.ts) and the cron keeps only the clocks and a safety
 * sweep; without it, a turn is a burst after each submission (`waitUntil`) and after the clocks of each
 * cron. Every job is the shared, claim-based one, so turns in many isolates at once are safe.
 * Each commit that changed an action tells its portal's stream object (portal-streams.ts).
 */
import { Cron } from "croner";
import { SWEEP_UPLOADS_CRON, SWEEP_UPLOADS_WITHIN_MS, sweepEndedUploads } from "../engine/cleanup";
import { promoteDueActions, sweepTimeouts } from "../engine/clocks";
import { MAX_LEASE_ATTEMPTS, runnerOptions } from "../engine/options";
import { EngineRunner } from "../engine/runner";
import { pruneEvents } from "../events/log";
import { PRUNE_SESSIONS_CRON, pruneSessions } from "../http/sessions";
import { systemClock } from "../lib/clock";
import { deliverOutbox } from "../mail/outbox";
import { nextDueAt } from "../mail/units";
import { engineObserver } from "../metrics/observe";
import { expireReports } from "../reports/expiry";
import { queriesSoFar } from "./invocation";
import { sweepUploadSpool } from "./r2-upload-spool";
import type { Edge } from "./services";

/** Cron Triggers fire at most once a minute: a clock pattern is due if it fell in the last minute. */
const CRON_WINDOW_MS = 60_000;
/** Events are kept 30 days, as in the Bun process. */
const EVENT_RETENTION_MS = 30 * 86_400_000;
/** How often mail is looked at while the engine is still busy (an ended action's email goes soon). */
const MAIL_POLL_MS = 2_000;
/** Queries kept back from the budget for mail and the slices still in flight when it is reached. */
const reserveOf = (budget: number) => Math.min(40, Math.floor(budget / 4));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** True when `pattern` (croner, 5 or 6 fields) has an occurrence in (at - window, at]. */
export function cronDue(pattern: string, at: number, windowMs = CRON_WINDOW_MS): boolean {
  const next = new Cron(pattern, { paused: true, timezone: "UTC" }).nextRun(new Date(at - windowMs));
  return next !== null && next.getTime() <= at;
}

/** A clock job: its name, its croner pattern (null: every cron run) and its work. */
type ClockJob = [name: string, pattern: string | null, job: () => Promise<unknown>];

/** Each clock job due once; a failure of one is logged and does not stop the others. */
export async function runClocks(edge: Edge, scheduledTime: number): Promise<void> {
  const { db } = edge.database;
  const { config } = edge;
  const now = () => systemClock.now();
  const jobs: ClockJob[] = [
    ["promote-due", null, () => promoteDueActions(db, now())],
    [
      "sweep-timeouts",
      null,
      () =>
        sweepTimeouts(db, {
          now: now(),
          reportRetentionMs: config.reportRetentionMs,
          publicUrl: config.publicUrl,
          actionTimeoutMs: config.actionTimeoutMs,
          maxAttempts: MAX_LEASE_ATTEMPTS,
        }),
    ],
    ["expire-reports", config.expiryCron, () => expireReports(db, now())],
    ["prune-events", null, () => pruneEvents(db, now() - EVENT_RETENTION_MS, 1_000)],
    ["prune-sessions", PRUNE_SESSIONS_CRON, () => pruneSessions(db, now())],
    // As in src/process.ts: uploads left by an invocation that ended between an end and its clean-up
    // (and those of actions the sweeper ended above).
    [
      "sweep-uploads",
      SWEEP_UPLOADS_CRON,
      async () => {
        await sweepEndedUploads(
          { db, blobs: edge.services.blobs, now: now(), publicUrl: config.publicUrl, log: edge.log },
          SWEEP_UPLOADS_WITHIN_MS,
        );
        // Request bodies left in R2 by an invocation that died while staging them.
        if (edge.bindings.BLOBS) await sweepUploadSpool(edge.bindings.BLOBS, now());
      },
    ],
  ];
  for (const [name, pattern, job] of jobs) {
    if (pattern !== null && !cronDue(pattern, scheduledTime)) continue;
    try {
      await job();
    } catch (error) {
      edge.log({ level: "error", msg: `${name} failed`, error: String(error) });
    }
  }
}

/**
 * Claims and runs actions until none is due, the deadline passes or the query budget is spent; then
 * running actions finish their slice and hand their lease back, so the next turn resumes them at once.
 * Resolves true when it stopped because nothing was left to do.
 */
export async function runEngine(
  edge: Edge,
  deadline: number,
  workerId = `edge-${crypto.randomUUID().slice(0, 8)}`,
  touched = new Set<string>(),
): Promise<boolean> {
  const { config, settings } = edge;
  /** Versions seen per action: a commit that moved none wrote no event, and tells no stream object. */
  const versions = new Map<number, number>();
  const runner = new EngineRunner(
    runnerOptions(config, {
      db: edge.database.db,
      blobs: edge.services.blobs,
      clock: systemClock,
      workerId,
      log: edge.log,
      observe: engineObserver(edge.services.metrics, edge.log, workerId),
      chunksPerRead: 2,
      idlePollMs: 1_000,
      onCommit: (action) => {
        touched.add(action.portalId);
        if (versions.get(action.id) === action.version) return;
        versions.set(action.id, action.version);
        edge.notifier.poke(action.portalId);
      },
    }),
  );
  const limit = settings.queryBudget - reserveOf(settings.queryBudget);
  if (queriesSoFar() >= limit) return false;
  let done = false;
  let failed = false;
  const running = runner.runUntilIdle().then(
    () => {
      done = true;
    },
    (error) => {
      done = failed = true;
      edge.log({ level: "error", msg: "engine turn failed", error: String(error) });
    },
  );
  while (!done && Date.now() < deadline && queriesSoFar() < limit) {
    await Promise.race([running, sleep(250)]);
  }
  // Decided before the stop, which ends runUntilIdle too: out of time or queries is not idle.
  const idle = done && !failed;
  await runner.stop();
  await running;
  return idle;
}

async function deliverMail(edge: Edge, deadline: number): Promise<void> {
  try {
    await deliverOutbox(
      {
        db: edge.database.db,
        sender: edge.sender,
        clock: systemClock,
        from: edge.config.mailFrom,
        rate: edge.config.mailRate,
        log: (line) => edge.log(line as Record<string, unknown>),
      },
      // The deployment's shared pace: a run waits for its slots, never past the burst's deadline.
      {
        workerId: "edge",
        leaseMs: edge.config.workerLeaseMs,
        budgetMs: deadline - Date.now() - 500,
        limit: 10,
      },
    );
  } catch (error) {
    edge.log({ level: "error", msg: "deliver-mail failed", error: String(error) });
  }
}

export interface WorkOptions {
  budgetMs: number;
  /** The cron's scheduled time, to run the clock jobs first (no queue bound); null for a turn. */
  clocksAt: number | null;
  /** The runner's worker id: a queue turn's, so a retry of its message recognises its leases. */
  workerId?: string;
  /**
   * A mail retry due within the budget is waited for (a burst); a queue turn instead answers when the
   * next one is due, and asks for a delayed turn.
   */
  waitForMail: boolean;
}

export interface WorkOutcome {
  /** The engine stopped because nothing was left to claim (not for want of time or queries). */
  engineIdle: boolean;
  /** When the outbox next has something to do, or null. */
  nextMailAt: number | null;
}

/**
 * One turn: clocks (a burst's cron only), then the engine, with the outbox delivered alongside every 2 s
 * and after the engine ends (the contract's first retry comes within 5 s). At the end, every portal the
 * engine touched is told once more, for changes made after a slice (a recurring reminder's next one).
 */
export async function runWork(edge: Edge, options: WorkOptions): Promise<WorkOutcome> {
  const started = Date.now();
  const deadline = started + options.budgetMs;
  const { queryBudget } = edge.settings;
  const withinBudget = () =>
    Date.now() < deadline - 250 && queriesSoFar() < queryBudget - reserveOf(queryBudget) / 2;
  if (options.clocksAt !== null) await runClocks(edge, options.clocksAt);
  const touched = new Set<string>();
  let engineDone = false;
  const engine = runEngine(edge, deadline, options.workerId, touched).finally(() => {
    engineDone = true;
  });
  let next: number | null = null;
  while (withinBudget()) {
    await deliverMail(edge, deadline);
    if (!engineDone) {
      await Promise.race([engine, sleep(MAIL_POLL_MS)]);
      continue;
    }
    next = await nextDueAt(edge.database.db).catch(() => null);
    if (!options.waitForMail || next === null || next > deadline - 500) break;
    await sleep(Math.max(250, next - Date.now()));
  }
  const engineIdle = await engine;
  for (const portal of touched) edge.notifier.poke(portal);
  edge.log({
    level: "info",
    msg: "edge.burst",
    kind: options.workerId?.startsWith("q-") ? "turn" : options.clocksAt === null ? "kick" : "cron",
    ms: Date.now() - started,
    queries: queriesSoFar(),
  });
  return { engineIdle, nextMailAt: next };
}
