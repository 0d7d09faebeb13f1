/**
 * Claiming work with a lease: one atomic `UPDATE … RETURNING` per claim, so any number of workers on one
 * database never run an action twice at the same time. A lease that runs out means its worker died;
 * the action is then claimed again and resumes from its checkpoint.
 */
import { and, eq, sql } from "drizzle-orm";
import { FINAL_STATUSES } from "../actions/model";
import type { ActionRow } from "../actions/repository";
import { appendTimeline } from "../actions/timeline";
import type { Db } from "../db/client";
import { actions, sliceGuard } from "../db/schema";
import { CHUNK_SIZE } from "./staging";

export interface ClaimOptions {
  workerId: string;
  now: number;
  leaseMs: number;
  /** At most this many actions of one portal run at once, across all workers. */
  portalConcurrency: number;
  /** A lease that died this many times is not retried (the sweeper ends it as `timeout`). */
  maxAttempts: number;
  /** Actions this worker is running now: never reclaimed by it, whatever their lease says. */
  running?: readonly number[];
}

const finalList = sql.join(
  FINAL_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);

/**
 * Each claim writes a fresh token as the lease owner, and every slice commits only under that token: a run
 * whose lease ran out (a slice longer than the lease, a paused process) cannot commit again, even when
 * the same worker has since claimed the action anew.
 */
function fencingToken(workerId: string): string {
  return `${workerId}#${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36)}`;
}

/**
 * The timeline's note on a resume, from the row as it was: how far the committed slices got (the
 * checkpoint counts staged chunks), and whether the previous worker handed the action back (a graceful
 * stop ends its lease and clears the owner) or stopped renewing its lease (killed, frozen, cut off).
 */
const resumeNote = sql`'Resumed by another worker ' || CASE WHEN ${actions.total} > 0
    THEN 'with ' || printf('%,d', min(${actions.checkpoint} * ${CHUNK_SIZE}, ${actions.total})) || ' of '
      || printf('%,d', ${actions.total}) || ' done'
    ELSE 'from the start' END
  || CASE WHEN ${actions.leaseOwner} IS NULL THEN ', after the previous one was shut down.'
    ELSE ', after the previous one stopped responding.' END`;

/**
 * Takes over an action whose worker stopped renewing its lease. The status stays in progress; the
 * timeline records the resume, and the version grows so streams and polls show it.
 */
async function reclaimExpired(db: Db, o: ClaimOptions): Promise<ActionRow | null> {
  const [row] = await db
    .update(actions)
    .set({
      leaseOwner: fencingToken(o.workerId),
      leaseExpiresAt: o.now + o.leaseMs,
      attempts: sql`${actions.attempts} + 1`,
      version: sql`${actions.version} + 1`,
      timeline: appendTimeline(sql`${actions.status}`, o.now, "worker", resumeNote),
    })
    .where(
      sql`${actions.id} = (SELECT id FROM actions WHERE status = 'in_progress' AND lease_expires_at <= ${o.now}
        AND attempts < ${o.maxAttempts} AND id NOT IN (SELECT value FROM json_each(${JSON.stringify(o.running ?? [])}))
        ORDER BY lease_expires_at LIMIT 1)`,
    )
    .returning();
  return row ?? null;
}

/** Starts the oldest due action, respecting the per-portal bound and step order within a task. */
async function claimNew(db: Db, o: ClaimOptions): Promise<ActionRow | null> {
  const [row] = await db
    .update(actions)
    .set({
      status: "in_progress",
      version: sql`${actions.version} + 1`,
      leaseOwner: fencingToken(o.workerId),
      leaseExpiresAt: o.now + o.leaseMs,
      attempts: sql`${actions.attempts} + 1`,
      startedAt: sql`coalesce(${actions.startedAt}, ${o.now})`,
      timeline: appendTimeline("in_progress", o.now, "worker"),
    })
    .where(
      sql`${actions.id} = (
        SELECT a.id FROM actions a
        WHERE a.status = 'not_started' AND a.run_at IS NOT NULL AND a.run_at <= ${o.now}
          AND (a.wait_for IS NULL OR EXISTS (SELECT 1 FROM actions w WHERE w.id = a.wait_for AND w.status IN (${finalList})))
          AND (SELECT count(*) FROM actions b WHERE b.portal_id = a.portal_id AND b.status = 'in_progress'
               AND b.lease_expires_at > ${o.now}) < ${o.portalConcurrency}
        ORDER BY a.run_at, a.id LIMIT 1) AND ${actions.status} = 'not_started'`,
    )
    .returning();
  return row ?? null;
}

export async function claimAction(db: Db, options: ClaimOptions): Promise<ActionRow | null> {
  return (await reclaimExpired(db, options)) ?? (await claimNew(db, options));
}

/** Lets another worker take the action at once (graceful stop): the lease simply ends now. */
export async function releaseLease(db: Db, actionId: number, leaseOwner: string, now: number): Promise<void> {
  await db
    .update(actions)
    .set({ leaseOwner: null, leaseExpiresAt: now, attempts: sql`max(${actions.attempts} - 1, 0)` })
    .where(
      and(eq(actions.id, actionId), eq(actions.leaseOwner, leaseOwner), eq(actions.status, "in_progress")),
    );
}

/**
 * The first statement of every slice batch: it violates slice_guard's CHECK, and so rolls the whole batch
 * back, unless the action is still in progress under this worker's lease. This fences off a worker that
 * lost its lease (or whose action was cancelled) from applying a slice twice.
 */
export function leaseGuard(db: Db, actionId: number, leaseOwner: string) {
  return db.run(
    sql`INSERT INTO ${sliceGuard} (ok) SELECT count(*) FROM ${actions}
        WHERE ${actions.id} = ${actionId} AND ${actions.status} = 'in_progress' AND ${actions.leaseOwner} = ${leaseOwner}`,
  );
}

export function clearGuard(db: Db) {
  return db.delete(sliceGuard);
}

/** True when a batch failed because its lease guard fired (the action was cancelled or taken over). */
export function isGuardViolation(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: unknown })?.cause ?? "")}`;
  return /slice_guard|CHECK constraint/i.test(text);
}
