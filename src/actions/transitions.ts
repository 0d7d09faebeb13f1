/**
 * The one place that changes an action's status. It knows the legal moves, bumps `version` (the event
 * trigger then writes the event row in the same transaction), stamps the times, and, when the action
 * ends, writes its completion email into the outbox in the same batch.
 */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { actionInputs, actions } from "../db/schema";
import { completionEmailStatement } from "../mail/enqueue";
import { isFinal, type Status, statusLabel, typeLabel } from "./model";
import { appendTimeline, type TimelineCause } from "./timeline";
import type { ActionSnapshot } from "./view";

/** Legal moves: from → to. A final status has none. */
export const MOVES: Record<Status, readonly Status[]> = {
  scheduled: ["not_started", "cancelled", "failed"],
  not_started: ["in_progress", "cancelled", "failed", "timeout"],
  in_progress: ["completed", "completed_with_errors", "cancelled", "failed", "timeout"],
  completed: [],
  completed_with_errors: [],
  cancelled: [],
  failed: [],
  timeout: [],
};

/** The statuses an action may be in for a move to `to`. */
export function sourcesOf(to: Status): Status[] {
  return (Object.keys(MOVES) as Status[]).filter((from) => MOVES[from].includes(to));
}

export interface TransitionContext {
  now: number;
  reportRetentionMs: number;
  publicUrl: string;
}

export interface TransitionRequest {
  /** The action as the caller last read it; the move only happens if it is still in a legal source status. */
  action: Pick<ActionSnapshot, "id" | "referenceId" | "type" | "requesterName" | "requesterEmail"> & {
    notify?: number;
    dryRun?: number;
  };
  to: Status;
  /** What caused the move, for the action's timeline. */
  by: TimelineCause;
  /** What else the timeline should say about the move. */
  note?: string | null;
  /** Extra columns to set in the same statement (counters, failure reason, lease…). */
  set?: SQLiteUpdateSetSource<typeof actions>;
  /** Extra conditions, e.g. that this worker still holds the lease. */
  where?: SQL;
}

/**
 * The statements of a move, to run in one `db.batch` (alone or with a slice's row effects).
 * The first statement returns the updated row, or nothing when the move was not legal any more.
 */
export function transitionStatements(db: Db, ctx: TransitionContext, request: TransitionRequest) {
  const { action, to, now } = { ...request, now: ctx.now };
  const final = isFinal(to);
  // An action ended from outside the engine (cancel, sweeper) shows the work its slices committed.
  const foldUnpublished = final && !(request.set && "unpublished" in request.set) ? unpublishedFolded() : {};
  const update = db
    .update(actions)
    .set({
      ...foldUnpublished,
      ...request.set,
      status: to,
      version: sql`${actions.version} + 1`,
      timeline: appendTimeline(to, now, request.by, request.note ?? null),
      ...(to === "in_progress" ? { startedAt: sql`coalesce(${actions.startedAt}, ${now})` } : {}),
      ...(final
        ? {
            completedAt: now,
            reportExpiresAt: now + ctx.reportRetentionMs,
            leaseOwner: null,
            leaseExpiresAt: null,
          }
        : {}),
    })
    .where(and(eq(actions.id, action.id), inArray(actions.status, sourcesOf(to)), request.where))
    .returning();
  if (!final) return [update] as const;
  // An ended action needs its staged input no more (deleted only if the move above took effect).
  const dropInput = db.run(sql`
    DELETE FROM ${actionInputs} WHERE ${actionInputs.actionId} = ${action.id}
      AND EXISTS (SELECT 1 FROM ${actions} WHERE ${actions.id} = ${action.id} AND ${actions.status} = ${to})`);
  if (action.notify === 0) return [update, dropInput] as const;

  // Inserted only if the update above took effect: the action now has this status and this end time.
  const insertEmail = completionEmailStatement(db, {
    actionId: action.id,
    action: {
      referenceId: action.referenceId,
      type: action.type,
      typeLabel: typeLabel(action.type),
      status: to,
      statusLabel: statusLabel(to),
      requester: { name: action.requesterName, email: action.requesterEmail },
      completedAt: new Date(now).toISOString(),
      dryRun: action.dryRun === 1,
    },
    publicUrl: ctx.publicUrl,
    now,
  });
  return [update, dropInput, insertEmail] as const;
}

function unpublishedFolded() {
  const part = (key: string) => sql.raw(`coalesce(unpublished ->> '${key}', 0)`);
  return {
    processed: sql`${actions.processed} + ${part("processed")}`,
    succeeded: sql`${actions.succeeded} + ${part("succeeded")}`,
    errors: sql`${actions.errors} + ${part("errors")}`,
    warnings: sql`${actions.warnings} + ${part("warnings")}`,
    reportRows: sql`${actions.reportRows} + ${part("reportRows")}`,
    unpublished: null,
  };
}

/** Runs a move on its own. Returns the updated row, or null when the action was not in a legal status. */
export async function transition(db: Db, ctx: TransitionContext, request: TransitionRequest) {
  const statements = transitionStatements(db, ctx, request);
  const [updated] = (await db.batch(statements as unknown as Parameters<Db["batch"]>[0])) as [
    (typeof actions.$inferSelect)[],
  ];
  return updated[0] ?? null;
}
