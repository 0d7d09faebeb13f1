/** The outbox's health for metrics and alerts: what waits, by kind, and how fast mail goes out. */
import { count, gte, inArray, min } from "drizzle-orm";
import type { Db } from "../db/client";
import { outbox } from "../db/schema";
import type { MailKind } from "./enqueue";
import { type PaceState, readPace } from "./pace";

export const MAIL_KINDS: readonly MailKind[] = ["completion", "reminder"];

export interface KindBacklog {
  /** Not yet sent nor given up (waiting, or being sent). */
  waiting: number;
  /** Age of the oldest of them in milliseconds, null when there is none. */
  oldestAgeMs: number | null;
  /** Given up on; each needs a look. */
  failed: number;
  /** Never sent: the address was not one address (logged when skipped). */
  skipped: number;
}

export interface OutboxBacklog {
  /** Every kind together, as `KindBacklog.waiting`. */
  pending: number;
  oldestAgeMs: number | null;
  failed: number;
  byKind: Record<MailKind, KindBacklog>;
}

/** The outbox's backlog in one query. */
export async function outboxBacklog(db: Db, now: number = Date.now()): Promise<OutboxBacklog> {
  const rows = await db
    .select({ kind: outbox.kind, status: outbox.status, n: count(), oldest: min(outbox.createdAt) })
    .from(outbox)
    .where(inArray(outbox.status, ["pending", "sending", "failed", "invalid", "skipped"]))
    .groupBy(outbox.kind, outbox.status);
  const empty = (): KindBacklog => ({ waiting: 0, oldestAgeMs: null, failed: 0, skipped: 0 });
  const byKind = Object.fromEntries(MAIL_KINDS.map((kind) => [kind, empty()])) as Record<
    MailKind,
    KindBacklog
  >;
  for (const row of rows) {
    const kind = byKind[row.kind as MailKind];
    if (!kind) continue;
    if (row.status === "failed") kind.failed += row.n;
    else if (row.status === "invalid" || row.status === "skipped") kind.skipped += row.n;
    else {
      kind.waiting += row.n;
      const age = row.oldest === null ? null : Math.max(0, now - row.oldest);
      if (age !== null && (kind.oldestAgeMs === null || age > kind.oldestAgeMs)) kind.oldestAgeMs = age;
    }
  }
  const all = Object.values(byKind);
  const ages = all.map((k) => k.oldestAgeMs).filter((age): age is number => age !== null);
  return {
    pending: all.reduce((sum, k) => sum + k.waiting, 0),
    oldestAgeMs: ages.length > 0 ? Math.max(...ages) : null,
    failed: all.reduce((sum, k) => sum + k.failed, 0),
    byKind,
  };
}

export interface SendRate {
  /** Emails sent per second over the last minute, by kind. */
  perSecond: Record<MailKind, number>;
  /** The deployment's shared pace (requests per second now) and next free slot, null before any email. */
  pace: PaceState | null;
}

/** How fast mail went out over the last `windowMs`, from the recorded send times. */
export async function sendRate(db: Db, now: number = Date.now(), windowMs = 60_000): Promise<SendRate> {
  const rows = await db
    .select({ kind: outbox.kind, n: count() })
    .from(outbox)
    .where(gte(outbox.sentAt, now - windowMs))
    .groupBy(outbox.kind);
  const perSecond = Object.fromEntries(MAIL_KINDS.map((kind) => [kind, 0])) as Record<MailKind, number>;
  for (const row of rows) perSecond[row.kind as MailKind] = row.n / (windowMs / 1000);
  return { perSecond, pace: await readPace(db) };
}
