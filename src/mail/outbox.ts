/**
 * The deliverer: sends what the outbox holds, at the provider's pace, from a cron job, a loop or a test.
 *
 * Each request takes a slot of the deployment's shared pace (pace.ts) first, then claims the next unit
 * (units.ts: completion emails first, up to 100 emails per request), sends it under the unit's
 * Idempotency-Key and records the outcome. A 429 is not a failed attempt: the unit goes back to the front
 * of the line, and every process waits as the provider said (the shared pace row) and slows down. Only
 * real failures count toward giving up.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { outbox } from "../db/schema";
import type { Clock } from "../lib/clock";
import { quoted } from "./address";
import { SendPace } from "./pace";
import { type LogLine, MAX_BATCH, type MailSender, type SendResult } from "./sender";
import {
  claimUnit,
  hasDue,
  recordFailed,
  recordRetry,
  recordSent,
  recordSplit,
  type SendUnit,
} from "./units";

/**
 * How long a claim protects a unit when the caller names no lease: longer than one send can take (the
 * Resend sender gives up after 15 s). The Bun process and the edge use WORKER_LEASE.
 */
export const OUTBOX_LEASE_MS = 20_000;

export interface RetryPolicy {
  /** Failed attempts after which a transient failure becomes final (rate limits are not counted). */
  maxAttempts: number;
  /** Wait before the next attempt, given the number of attempts made so far (1 after the first). */
  delayMs(attempt: number): number;
}

/** 2 s after the first failure (the contract wants the first retry within 5 s), then doubling, capped at 5 min. */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 20,
  delayMs: (attempt) => Math.min(2_000 * 2 ** Math.max(0, attempt - 1), 300_000),
};

/** MAIL_RATE's default: Resend's default limit, per team, across every key. */
export const DEFAULT_MAIL_RATE = 2;

export interface DeliverDeps {
  db: Db;
  sender: MailSender;
  clock: Clock;
  /** The `From` of every email (MAIL_FROM). */
  from: string;
  /** MAIL_RATE: requests per second for the whole deployment. */
  rate?: number;
  retry?: RetryPolicy;
  log?: LogLine;
  /** Waits for the next free slot; tests pass one that moves their clock instead. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface DeliverOptions {
  /** Requests sent in one run at most. */
  limit?: number;
  /** A run stops waiting for slots once this much real time has passed (it never sleeps past it). */
  budgetMs?: number;
  /** Names this deliverer in log lines. */
  workerId?: string;
  leaseMs?: number;
  /** Emails per request at most (Resend: 100). */
  batchSize?: number;
  /** Ends the run at the next step (a stopping process). */
  signal?: AbortSignal;
}

export interface DeliverReport {
  /** Emails sent. */
  sent: number;
  /** Emails whose attempt failed and that wait for another. */
  retried: number;
  /** Emails given up. */
  failed: number;
  /**
   * Requests answered with a rate limit, or because the same request was still in flight elsewhere: their
   * emails wait, and nothing is counted against them.
   */
  throttled: number;
  /** Requests made. */
  requests: number;
}

export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done);
  });
}

/** Emails written with an address that is not one address: logged once, with why, then skipped for good. */
async function skipInvalid(db: Db, log: LogLine, workerId: string): Promise<void> {
  // Looked for first: an UPDATE takes the write lock even when it matches nothing, and this runs every
  // second (a read does not wait behind the engine's writes, nor hold them up).
  const invalid = sql`${outbox.status} = 'invalid'`;
  const [any] = await db.select({ id: outbox.id }).from(outbox).where(invalid).limit(1);
  if (!any) return;
  const skipped = await db
    .update(outbox)
    .set({ status: "skipped" })
    .where(invalid)
    .returning({ id: outbox.id, key: outbox.idempotencyKey, to: outbox.toAddress, reason: outbox.lastError });
  for (const row of skipped) {
    log({
      msg: "outbox.skipped",
      workerId,
      id: row.id,
      idempotencyKey: row.key,
      to: quoted(row.to),
      reason: row.reason,
    });
  }
}

/**
 * Sends due emails until none is due, `limit` requests were made, or the budget is spent; reports what
 * happened. A sender that throws is treated as a crash: the run stops and the unit comes back when its
 * lease ends (then it is sent again under the same key, which the provider does not send twice).
 */
export async function deliverOutbox(deps: DeliverDeps, options: DeliverOptions = {}): Promise<DeliverReport> {
  const { db, clock, from } = deps;
  const retry = deps.retry ?? defaultRetryPolicy;
  const log = deps.log ?? (() => {});
  const sleep = deps.sleep ?? realSleep;
  const workerId = options.workerId ?? "outbox";
  const leaseMs = options.leaseMs ?? OUTBOX_LEASE_MS;
  const budgetMs = options.budgetMs ?? 10_000;
  const size = Math.min(MAX_BATCH, options.batchSize ?? MAX_BATCH);
  const { signal } = options;
  const pace = new SendPace(db, deps.rate ?? DEFAULT_MAIL_RATE);
  const report: DeliverReport = { sent: 0, retried: 0, failed: 0, throttled: 0, requests: 0 };
  const started = performance.now();

  await skipInvalid(db, log, workerId);
  let misses = 0;
  while (report.requests < (options.limit ?? 100) && !signal?.aborted && misses < 3) {
    if (!(await hasDue(db, clock.now()))) break;
    const wait = await pace.take(clock.now());
    if (wait > 0) {
      if (performance.now() - started + wait > budgetMs) break;
      await sleep(wait, signal);
      continue;
    }
    const unit = await claimUnit(db, clock.now(), leaseMs, size);
    // A slow step must not send a unit whose lease has passed: another deliverer may own it by now.
    if (!unit || clock.now() >= unit.leaseExpiresAt) {
      // Another deliverer took what was due between the look and the claim.
      await pace.giveBack(clock.now());
      misses += 1;
      continue;
    }
    misses = 0;
    report.requests += 1;
    const emails = unit.rows.map((row) => ({
      from,
      to: row.toAddress,
      subject: row.subject,
      text: row.textBody,
      html: row.htmlBody,
    }));
    const result = await deps.sender.send(emails, unit.key);
    const outcome = await record(db, unit, result, clock.now(), retry, pace);
    if (outcome === "throttled" || outcome === "busy") report.throttled += 1;
    else if (outcome !== "lost") report[outcome] += unit.rows.length;
    log({
      msg: `outbox.${outcome}`,
      workerId,
      idempotencyKey: unit.key,
      emails: unit.rows.length,
      kinds: kindsOf(unit),
      attempt: unit.attempt,
      ...(result.ok ? {} : { error: result.error }),
    });
  }
  return report;
}

type Outcome = "sent" | "retried" | "failed" | "throttled" | "busy" | "lost";

/** Writes the result of one request; 'lost' when a newer claim owns the unit. */
async function record(
  db: Db,
  unit: SendUnit,
  result: SendResult,
  now: number,
  retry: RetryPolicy,
  pace: SendPace,
): Promise<Outcome> {
  if (result.ok) return (await recordSent(db, unit, result.providerIds, now)) > 0 ? "sent" : "lost";
  let changed: number;
  let outcome: Outcome;
  if (result.outcome === "throttled") {
    await pace.throttled(now, result.waitMs);
    changed = await recordRetry(db, unit, result.error, now, false);
    outcome = "throttled";
  } else if (result.outcome === "busy") {
    changed = await recordRetry(db, unit, result.error, now + result.waitMs, false);
    outcome = "busy";
  } else if (result.outcome === "rejected" && unit.rows.length > 1) {
    changed = await recordSplit(db, unit, result.error, now);
    outcome = "retried";
  } else if (result.outcome === "transient" && unit.attempt < retry.maxAttempts) {
    const at = now + Math.max(0, retry.delayMs(unit.attempt));
    changed = await recordRetry(db, unit, result.error, at, true);
    outcome = "retried";
  } else {
    const why = result.outcome === "transient" ? ` (gave up after ${unit.attempt} attempts)` : "";
    changed = await recordFailed(db, unit, `${result.error}${why}`);
    outcome = "failed";
  }
  return changed > 0 ? outcome : "lost";
}

function kindsOf(unit: SendUnit): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const row of unit.rows) kinds[row.kind] = (kinds[row.kind] ?? 0) + 1;
  return kinds;
}
