/**
 * The engine's clock jobs, as plain functions of (database, now): croner calls them on a schedule,
 * tests call them with a controlled time. Each is safe to run in several processes at once.
 */
import { and, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { ActionRow } from "../actions/repository";
import { appendTimeline } from "../actions/timeline";
import { type TransitionContext, transition } from "../actions/transitions";
import type { Db } from "../db/client";
import { actions } from "../db/schema";
import { deleteStagedInput } from "./staging";

/**
 * Scheduled actions whose time has come become `not_started` (and so claimable). An upload still being
 * staged (no `runAt` yet) waits: claimed now, it would run on part of its file.
 */
export async function promoteDueActions(db: Db, now: number, limit = 500): Promise<number> {
  const due = db
    .select({ id: actions.id })
    .from(actions)
    .where(and(eq(actions.status, "scheduled"), lte(actions.scheduledFor, now), isNotNull(actions.runAt)))
    .limit(limit);
  const moved = await db
    .update(actions)
    .set({
      status: "not_started",
      runAt: sql`coalesce(${actions.runAt}, ${now})`,
      version: sql`${actions.version} + 1`,
      timeline: appendTimeline("not_started", now, "clock", "Its scheduled time came."),
    })
    .where(and(inArray(actions.id, due), eq(actions.status, "scheduled")))
    .returning({ id: actions.id });
  return moved.length;
}

/** Staging even a million rows takes well under a minute; an action still staging after this is orphaned. */
export const STAGING_GRACE_MS = 10 * 60_000;

/** Why an action ended as `timeout` after running past ACTION_TIMEOUT (the engine and the sweeper say the same). */
export function timeoutReason(actionTimeoutMs: number): string {
  return `The action ran longer than the time limit (${Math.round(actionTimeoutMs / 60_000)} min) and was stopped; what was done before is kept.`;
}

export interface SweepOptions extends TransitionContext {
  actionTimeoutMs: number;
  maxAttempts: number;
}

/**
 * Ends as `timeout` the actions that ran past ACTION_TIMEOUT, and those whose lease died `maxAttempts`
 * times (a worker keeps crashing on it): waiting longer would not help, and the requester should know.
 * Ends as `failed` the uploads whose process died while staging them.
 */
export async function sweepTimeouts(db: Db, options: SweepOptions, limit = 100): Promise<ActionRow[]> {
  const { now } = options;
  const overdue = await db
    .select()
    .from(actions)
    .where(
      and(
        eq(actions.status, "in_progress"),
        or(
          lt(actions.startedAt, now - options.actionTimeoutMs),
          and(
            isNotNull(actions.leaseExpiresAt),
            lte(actions.leaseExpiresAt, now),
            sql`${actions.attempts} >= ${options.maxAttempts}`,
          ),
        ),
      ),
    )
    .limit(limit);
  const ended: ActionRow[] = [];
  // An upload whose process died while staging it never became claimable: it fails with a reason.
  const abandoned = await db
    .select()
    .from(actions)
    .where(
      and(
        // A scheduled upload is staged at once too; only then does it get its time to run.
        inArray(actions.status, ["not_started", "scheduled"]),
        isNull(actions.runAt),
        lt(actions.createdAt, now - STAGING_GRACE_MS),
      ),
    )
    .limit(limit);
  for (const action of abandoned) {
    const row = await transition(db, options, {
      action,
      to: "failed",
      by: "clock",
      set: {
        failureReason:
          "The upload was interrupted before the whole file was received; upload the file again.",
      },
    });
    if (row) {
      await deleteStagedInput(db, action.id);
      ended.push(row);
    }
  }
  for (const action of overdue) {
    const timedOut = action.startedAt !== null && action.startedAt < now - options.actionTimeoutMs;
    const reason = timedOut
      ? timeoutReason(options.actionTimeoutMs)
      : `The action was interrupted ${action.attempts} times (the worker running it stopped) and was given up; what was done before is kept.`;
    const row = await transition(db, options, {
      action,
      to: "timeout",
      by: "clock",
      set: { failureReason: reason },
    });
    if (row) ended.push(row);
  }
  return ended;
}
