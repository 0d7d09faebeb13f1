/**
 * Send units: the emails of one request to the provider. A unit's membership is fixed when it is first
 * claimed (every member gets the unit's `batch_key`, which is the request's Idempotency-Key), so a retry,
 * or another worker resuming after a crash between the send and the record, repeats exactly the same
 * request, which the provider answers without sending anything again.
 *
 * What goes next: completion emails before reminders (a person waiting for one answer), then reminders in
 * fair-queue order (portals' lanes interleaved, see enqueue.ts); a unit already claimed once (a retry, or
 * one whose sender died) goes before fresh reminders. A fresh unit takes up to 100 due emails, completion
 * emails first, so they ride along with the reminder batch that goes out anyway.
 *
 * Every claim is one `UPDATE … RETURNING` that re-checks what it claims, and every record is fenced by
 * the attempt number, so concurrent deliverers never share a unit and a stale one cannot overwrite a
 * newer claim. Only query builders, `sql` and `returning` are used: libSQL and D1 alike.
 */
import { and, asc, type Column, desc, eq, inArray, isNotNull, isNull, lte, min, or, sql } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { outbox } from "../db/schema";
import type { MailKind, OutboxRow } from "./enqueue";

export interface SendUnit {
  /** The request's Idempotency-Key (also every member's `batch_key`). */
  key: string;
  /** Members in id order: the order of the request's payload, the same on every attempt. */
  rows: OutboxRow[];
  /** Attempts so far, this one included: fences the record. */
  attempt: number;
  leaseExpiresAt: number;
}

const due = (now: number) =>
  or(
    and(eq(outbox.status, "pending"), lte(outbox.nextAttemptAt, now)),
    and(eq(outbox.status, "sending"), lte(outbox.leaseExpiresAt, now)),
  );

/**
 * `next_attempt_at <= now` that no index is chosen for (the unary `+`): with 100,000 reminders waiting,
 * the outbox_due index would make SQLite visit them all, while outbox_queue (status, kind, queue_tag) and
 * outbox_batch (status, batch_key) find the few it needs, in order (a claim: ~1–2 s → ~40 ms).
 */
const dueNotIndexed = (now: number) => sql`+${outbox.nextAttemptAt} <= ${now}`;

/** Due again, for rows that have a unit: through outbox_batch. */
const unitDue = (now: number) =>
  or(
    and(eq(outbox.status, "pending"), isNotNull(outbox.batchKey), dueNotIndexed(now)),
    and(eq(outbox.status, "sending"), lte(outbox.leaseExpiresAt, now)),
  );

/** Whether anything could be claimed now (cheap: both halves are index lookups). */
export async function hasDue(db: Db, now: number): Promise<boolean> {
  const [row] = await db.select({ id: outbox.id }).from(outbox).where(due(now)).limit(1);
  return row !== undefined;
}

/**
 * When the outbox next has something to do: the earliest pending attempt or expiring claim, or null.
 * Two index lookups (outbox_due), not a pass over every waiting email.
 */
export async function nextDueAt(db: Db): Promise<number | null> {
  const earliest = (status: string, column: Column) =>
    sql`(SELECT min(${column}) FROM ${outbox} WHERE ${outbox.status} = ${status})`;
  const [row] = await db.all<{ pending: number | null; sending: number | null }>(
    sql`SELECT ${earliest("pending", outbox.nextAttemptAt)} AS pending,
      ${earliest("sending", outbox.leaseExpiresAt)} AS sending`,
  );
  const times = [row?.pending, row?.sending].filter((at): at is number => typeof at === "number");
  return times.length > 0 ? Math.min(...times) : null;
}

/** The best unit claimed before that is due again: one holding a completion email first, then the oldest. */
async function dueUnit(db: Db, now: number) {
  const [unit] = await db
    .select({ key: outbox.batchKey, completions: sql<number>`sum(${outbox.kind} = 'completion')` })
    .from(outbox)
    .where(unitDue(now))
    .groupBy(outbox.batchKey)
    .orderBy(desc(sql`sum(${outbox.kind} = 'completion')`), asc(min(outbox.nextAttemptAt)))
    .limit(1);
  return unit?.key ? { key: unit.key, completions: unit.completions } : null;
}

/** Due emails of one kind that no unit holds yet, in sending order. */
function freshOf(db: Db, kind: MailKind, now: number, limit: number) {
  return db
    .select({ id: outbox.id, idempotencyKey: outbox.idempotencyKey })
    .from(outbox)
    .where(
      and(eq(outbox.status, "pending"), eq(outbox.kind, kind), isNull(outbox.batchKey), dueNotIndexed(now)),
    )
    .orderBy(asc(outbox.queueTag), asc(outbox.id))
    .limit(limit);
}

function asUnit(key: string, rows: OutboxRow[]): SendUnit | null {
  if (rows.length === 0) return null;
  rows.sort((a, b) => a.id - b.id);
  return { key, rows, attempt: rows[0]!.attempts, leaseExpiresAt: rows[0]!.leaseExpiresAt ?? 0 };
}

async function claimAgain(db: Db, key: string, now: number, leaseMs: number): Promise<SendUnit | null> {
  const rows = await db
    .update(outbox)
    .set({ status: "sending", leaseExpiresAt: now + leaseMs, attempts: sql`${outbox.attempts} + 1` })
    .where(and(eq(outbox.batchKey, key), unitDue(now)))
    .returning();
  return asUnit(key, rows);
}

async function claimFresh(
  db: Db,
  picked: { id: number; idempotencyKey: string }[],
  now: number,
  leaseMs: number,
): Promise<SendUnit | null> {
  // A single email keeps its own key (what it was always sent with); a batch gets a new one.
  const key = picked.length === 1 ? picked[0]!.idempotencyKey : `batch/${crypto.randomUUID()}`;
  const rows = await db
    .update(outbox)
    .set({
      status: "sending",
      batchKey: key,
      leaseExpiresAt: now + leaseMs,
      attempts: sql`${outbox.attempts} + 1`,
    })
    .where(
      and(
        // As one JSON parameter: D1 binds at most 100 parameters per statement.
        sql`${outbox.id} IN (SELECT value FROM json_each(${JSON.stringify(picked.map((p) => p.id))}))`,
        eq(outbox.status, "pending"),
        isNull(outbox.batchKey),
      ),
    )
    .returning();
  return asUnit(key, rows);
}

/**
 * Claims the next unit of up to `size` emails under a lease of `leaseMs`, or null when nothing is due
 * (or another deliverer took it first: the caller simply asks again).
 */
export async function claimUnit(
  db: Db,
  now: number,
  leaseMs: number,
  size: number,
): Promise<SendUnit | null> {
  const again = await dueUnit(db, now);
  if (again && again.completions > 0) return claimAgain(db, again.key, now, leaseMs);
  const completions = await freshOf(db, "completion", now, size);
  if (completions.length === 0 && again) return claimAgain(db, again.key, now, leaseMs);
  const reminders =
    completions.length < size ? await freshOf(db, "reminder", now, size - completions.length) : [];
  const picked = [...completions, ...reminders];
  return picked.length > 0 ? claimFresh(db, picked, now, leaseMs) : null;
}

/** Fences a record to the claim that made it: still being sent, under this attempt. */
const claimedAs = (unit: SendUnit) =>
  and(eq(outbox.batchKey, unit.key), eq(outbox.status, "sending"), eq(outbox.attempts, unit.attempt));

/** Number of rows a record changed: 0 means a newer claim owns the unit (or it was recorded already). */
type Changed = number;

/** Writes `set` to the unit's members, if this claim still owns them. */
async function recordClaimed(
  db: Db,
  unit: SendUnit,
  set: SQLiteUpdateSetSource<typeof outbox>,
): Promise<Changed> {
  const done = await db.update(outbox).set(set).where(claimedAs(unit)).returning({ id: outbox.id });
  return done.length;
}

/** The emails went out: true whatever happened to the unit meanwhile, so only an earlier 'sent' wins. */
export async function recordSent(
  db: Db,
  unit: SendUnit,
  providerIds: string[],
  now: number,
): Promise<Changed> {
  const ids = Object.fromEntries(unit.rows.map((row, i) => [String(row.id), providerIds[i] ?? null]));
  const done = await db
    .update(outbox)
    .set({
      status: "sent",
      providerId: sql`json_extract(${JSON.stringify(ids)}, '$."' || ${outbox.id} || '"')`,
      sentAt: now,
      leaseExpiresAt: null,
      lastError: null,
    })
    .where(and(eq(outbox.batchKey, unit.key), inArray(outbox.status, ["sending", "pending", "failed"])))
    .returning({ id: outbox.id });
  return done.length;
}

/** Back to waiting, at `at`; `countAttempt: false` for a rate limit, which is no failed attempt. */
export function recordRetry(
  db: Db,
  unit: SendUnit,
  error: string,
  at: number,
  countAttempt: boolean,
): Promise<Changed> {
  return recordClaimed(db, unit, {
    status: "pending",
    leaseExpiresAt: null,
    lastError: error,
    nextAttemptAt: at,
    ...(countAttempt ? {} : { attempts: sql`${outbox.attempts} - 1` }),
  });
}

/** Given up: each member says why. */
export function recordFailed(db: Db, unit: SendUnit, error: string): Promise<Changed> {
  return recordClaimed(db, unit, { status: "failed", leaseExpiresAt: null, lastError: error });
}

/**
 * The provider refused the batch's content (strict validation: nothing of it was sent). Each member
 * becomes a unit of its own under its own key, due now, so only the email at fault fails.
 */
export function recordSplit(db: Db, unit: SendUnit, error: string, now: number): Promise<Changed> {
  return recordClaimed(db, unit, {
    status: "pending",
    batchKey: outbox.idempotencyKey,
    leaseExpiresAt: null,
    lastError: error,
    nextAttemptAt: now,
  });
}
