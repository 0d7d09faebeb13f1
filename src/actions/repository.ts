/**
 * Reading and recording actions for one person. Every read is scoped to the requester and portal,
 * so someone else's action is indistinguishable from one that does not exist.
 */
import { and, desc, eq, inArray, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { actions } from "../db/schema";
import type { ActionType, Status } from "./model";
import type { Principal } from "./principal";
import { newReferenceId } from "./reference";
import { firstTimeline } from "./timeline";

export type ActionRow = typeof actions.$inferSelect;

export interface NewAction {
  type: ActionType;
  params: unknown;
  fileName?: string | null;
  scheduledFor?: number | null;
  notify?: boolean;
  idempotencyKey?: string | null;
  taskId?: string | null;
  step?: number;
  steps?: number;
  /** False while the input is still being staged: the engine will not claim it yet. */
  ready?: boolean;
  waitFor?: number | null;
  /** Judge and report every row, change nothing. */
  dryRun?: boolean;
  /** The reference ID of the requester's own action this one retries (checked by the caller). */
  retryOf?: string | null;
  /** A note for the first timeline entry (e.g. that step 2 waits for step 1). */
  note?: string | null;
}

const ownedBy = (who: Principal) => and(eq(actions.portalId, who.portal), eq(actions.requesterId, who.sub));

export async function findOwnAction(db: Db, who: Principal, referenceId: string): Promise<ActionRow | null> {
  const [row] = await db
    .select()
    .from(actions)
    .where(and(eq(actions.referenceId, referenceId), ownedBy(who)))
    .limit(1);
  return row ?? null;
}

export async function findByIdempotencyKey(db: Db, who: Principal, key: string): Promise<ActionRow | null> {
  const [row] = await db
    .select()
    .from(actions)
    .where(and(ownedBy(who), eq(actions.idempotencyKey, key)))
    .limit(1);
  return row ?? null;
}

/**
 * Records a new action. With an idempotency key already used by this person, returns the first action
 * instead (`created: false`), also when two requests with the same key race.
 */
export async function insertAction(
  db: Db,
  now: number,
  who: Principal,
  input: NewAction,
): Promise<{ action: ActionRow; created: boolean }> {
  const scheduled = input.scheduledFor != null && input.scheduledFor > now;
  const status = scheduled ? "scheduled" : "not_started";
  for (let attempt = 0; attempt < 5; attempt++) {
    const [row] = await db
      .insert(actions)
      .values({
        referenceId: newReferenceId(),
        taskId: input.taskId ?? null,
        step: input.step ?? 1,
        steps: input.steps ?? 1,
        portalId: who.portal,
        requesterId: who.sub,
        requesterName: who.name,
        requesterEmail: who.email,
        requesterRole: who.role,
        type: input.type,
        status,
        fileName: input.fileName ?? null,
        params: JSON.stringify(input.params ?? {}),
        notify: input.notify === false ? 0 : 1,
        createdAt: now,
        scheduledFor: input.scheduledFor ?? null,
        idempotencyKey: input.idempotencyKey ?? null,
        runAt: input.ready === false ? null : scheduled ? input.scheduledFor! : now,
        waitFor: input.waitFor ?? null,
        dryRun: input.dryRun ? 1 : 0,
        retryOf: input.retryOf ?? null,
        timeline: firstTimeline(status, now, "requester", input.note ?? null),
      })
      .onConflictDoNothing()
      .returning();
    if (row) return { action: row, created: true };
    if (input.idempotencyKey) {
      const existing = await findByIdempotencyKey(db, who, input.idempotencyKey);
      if (existing) return { action: existing, created: false };
    }
    // Otherwise the random reference collided with another: draw again.
  }
  throw new Error("could not allocate a unique reference id");
}

export interface ListQuery {
  statuses?: Status[];
  types?: ActionType[];
  limit: number;
  /** Only actions older than this id (the cursor). */
  beforeId?: number;
  /** Only the actions that retry this one (a reference ID). */
  retryOf?: string;
}

export async function listOwnActions(db: Db, who: Principal, query: ListQuery) {
  const rows = await db
    .select()
    .from(actions)
    .where(
      and(
        ownedBy(who),
        query.statuses?.length ? inArray(actions.status, query.statuses) : undefined,
        query.types?.length ? inArray(actions.type, query.types) : undefined,
        query.beforeId ? lt(actions.id, query.beforeId) : undefined,
        query.retryOf !== undefined ? eq(actions.retryOf, query.retryOf) : undefined,
      ),
    )
    .orderBy(desc(actions.id))
    .limit(query.limit + 1);
  const more = rows.length > query.limit;
  const items = more ? rows.slice(0, query.limit) : rows;
  return { items, nextBeforeId: more ? items[items.length - 1]!.id : null };
}

export async function findActionById(db: Db, id: number): Promise<ActionRow | null> {
  const [row] = await db.select().from(actions).where(eq(actions.id, id)).limit(1);
  return row ?? null;
}
