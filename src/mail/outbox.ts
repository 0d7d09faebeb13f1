/**
 * The email outbox. A row is written in the same batch as the change that causes the email, so an
 * email is never lost nor invented; `deliverOutbox` then sends due rows, from a cron job or a loop.
 *
 * Safety rests on two things. Claiming is one atomic `UPDATE … RETURNING`, so concurrent deliverers
 * never hold the same row at once. And every attempt reuses the row's idempotency key, so a row sent
 * again after a crash (its lease expired before the result was recorded) is sent once by Resend.
 * Only query builders, `batch` and `returning` are used, so this runs on libSQL and on D1 alike.
 */
import { and, asc, count, eq, inArray, lte, min, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { outbox } from "../db/schema";
import type { Clock } from "../lib/clock";
import type { LogLine, MailSender, SendResult } from "./sender";
import { type CompletionEmailAction, completionEmail } from "./template";

export type OutboxRow = typeof outbox.$inferSelect;
export type OutboxInsert = typeof outbox.$inferInsert;

/**
 * How long a claim protects a row: longer than one send can take (the Resend sender gives up after 15 s).
 * Rows are claimed one at a time, so a deliverer that dies strands one email for at most this long.
 */
export const OUTBOX_LEASE_MS = 20_000;

export interface RetryPolicy {
  /** Attempts (claims) after which a transient failure becomes final. */
  maxAttempts: number;
  /** Wait before the next attempt, given the number of attempts made so far (1 after the first). */
  delayMs(attempt: number): number;
}

/** 2 s after the first failure (the contract wants the first retry within 5 s), then doubling, capped at 5 min. */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 20,
  delayMs: (attempt) => Math.min(2_000 * 2 ** Math.max(0, attempt - 1), 300_000),
};

/** The outbox row of an action's completion email; its key makes a second insert for one action a no-op. */
export function completionEmailRow(input: {
  actionId: number;
  action: CompletionEmailAction;
  publicUrl: string;
  now: number;
}): OutboxInsert {
  const email = completionEmail(input.action, input.publicUrl);
  return {
    actionId: input.actionId,
    idempotencyKey: `completion/${input.action.referenceId}`,
    toAddress: input.action.requester.email,
    subject: email.subject,
    textBody: email.text,
    htmlBody: email.html,
    status: "pending",
    attempts: 0,
    nextAttemptAt: input.now,
    createdAt: input.now,
  };
}

/** The insert to put into the caller's `db.batch([...])`, next to the change that causes the email. */
export function outboxInsert(db: Db, row: OutboxInsert) {
  return db.insert(outbox).values(row).onConflictDoNothing();
}

/**
 * Atomically claims up to `limit` due rows: pending ones whose time has come, and rows left 'sending'
 * by a deliverer whose lease ran out (it crashed). Each claim counts as an attempt; the attempt number
 * then fences the result, so a deliverer that lost its lease cannot overwrite a newer claim.
 */
async function claimDue(db: Db, now: number, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      or(
        and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAt, now)),
        and(eq(outbox.status, "sending"), lte(outbox.leaseExpiresAt, now)),
      ),
    )
    .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
    .limit(limit);
  const claimed = await db
    .update(outbox)
    .set({ status: "sending", leaseExpiresAt: now + leaseMs, attempts: sql`${outbox.attempts} + 1` })
    .where(inArray(outbox.id, due))
    .returning();
  return claimed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
}

type Outcome = "sent" | "retried" | "failed" | "lost";

/** Writes the result of one attempt; returns what was recorded ('lost' when a newer claim owns the row). */
async function record(
  db: Db,
  row: OutboxRow,
  result: SendResult,
  now: number,
  retry: RetryPolicy,
): Promise<Outcome> {
  if (result.ok) {
    // The email went out: true whatever happened to the row meanwhile, so only an earlier 'sent' wins.
    const done = await db
      .update(outbox)
      .set({
        status: "sent",
        providerId: result.providerId,
        sentAt: now,
        leaseExpiresAt: null,
        lastError: null,
      })
      .where(and(eq(outbox.id, row.id), ne(outbox.status, "sent")))
      .returning({ id: outbox.id });
    return done.length > 0 ? "sent" : "lost";
  }
  const giveUp = !result.retryable || row.attempts >= retry.maxAttempts;
  const error =
    giveUp && result.retryable ? `${result.error} (gave up after ${row.attempts} attempts)` : result.error;
  const done = await db
    .update(outbox)
    .set(
      giveUp
        ? { status: "failed", leaseExpiresAt: null, lastError: error }
        : {
            status: "pending",
            leaseExpiresAt: null,
            lastError: error,
            nextAttemptAt: now + Math.max(0, retry.delayMs(row.attempts)),
          },
    )
    .where(and(eq(outbox.id, row.id), eq(outbox.status, "sending"), eq(outbox.attempts, row.attempts)))
    .returning({ id: outbox.id });
  if (done.length === 0) return "lost";
  return giveUp ? "failed" : "retried";
}

export interface DeliverDeps {
  db: Db;
  sender: MailSender;
  clock: Clock;
  /** The `From` of every email (MAIL_FROM). */
  from: string;
  retry?: RetryPolicy;
  log?: LogLine;
}

export interface DeliverOptions {
  /** Rows sent in one run, each claimed just before it is sent. */
  limit?: number;
  /** Names this deliverer in log lines. */
  workerId?: string;
  leaseMs?: number;
}

export interface DeliverReport {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Sends the due emails once and reports what happened; call it from a cron job, a loop or a test.
 * A sender that throws is treated as a crash: the run stops and its rows come back when their lease ends.
 */
export async function deliverOutbox(deps: DeliverDeps, options: DeliverOptions = {}): Promise<DeliverReport> {
  const { db, sender, clock, from } = deps;
  const retry = deps.retry ?? defaultRetryPolicy;
  const log = deps.log ?? (() => {});
  const workerId = options.workerId ?? "outbox";
  const report: DeliverReport = { sent: 0, retried: 0, failed: 0 };

  for (let claimed = 0; claimed < (options.limit ?? 10); claimed++) {
    const [row] = await claimDue(db, clock.now(), 1, options.leaseMs ?? OUTBOX_LEASE_MS);
    if (!row) break;
    // A slow run must not send a row whose lease has passed: another deliverer may own it by now.
    if (row.leaseExpiresAt !== null && clock.now() >= row.leaseExpiresAt) continue;
    const result = await sender.send({
      from,
      to: row.toAddress,
      subject: row.subject,
      text: row.textBody,
      html: row.htmlBody,
      idempotencyKey: row.idempotencyKey,
    });
    const outcome = await record(db, row, result, clock.now(), retry);
    if (outcome !== "lost") report[outcome] += 1;
    log({
      msg: `outbox.${outcome}`,
      workerId,
      id: row.id,
      idempotencyKey: row.idempotencyKey,
      attempt: row.attempts,
      ...(result.ok
        ? { providerId: result.providerId }
        : { error: result.error, retryable: result.retryable }),
    });
  }
  return report;
}

export interface OutboxBacklog {
  /** Emails not yet sent nor given up (pending, or being sent). */
  pending: number;
  /** Age of the oldest of them in milliseconds, null when there is none. */
  oldestAgeMs: number | null;
  /** Emails given up on; each needs a look. */
  failed: number;
}

/** The outbox's health in one query, for metrics and alerts. */
export async function outboxBacklog(db: Db, now: number = Date.now()): Promise<OutboxBacklog> {
  const rows = await db
    .select({ status: outbox.status, n: count(), oldest: min(outbox.createdAt) })
    .from(outbox)
    .where(inArray(outbox.status, ["pending", "sending", "failed"]))
    .groupBy(outbox.status);
  let pending = 0;
  let failed = 0;
  let oldest: number | null = null;
  for (const row of rows) {
    if (row.status === "failed") {
      failed += row.n;
      continue;
    }
    pending += row.n;
    if (row.oldest !== null && (oldest === null || row.oldest < oldest)) oldest = row.oldest;
  }
  return { pending, oldestAgeMs: oldest === null ? null : Math.max(0, now - oldest), failed };
}
