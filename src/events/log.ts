/** Reads of the append-only event log (the trigger in migrations/ writes it). */
import { and, asc, eq, gt, inArray, lt, max, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { actionEvents } from "../db/schema";

export type StoredEvent = Pick<
  typeof actionEvents.$inferSelect,
  "id" | "actionId" | "portalId" | "requesterId" | "kind" | "version" | "snapshot"
>;

const columns = {
  id: actionEvents.id,
  actionId: actionEvents.actionId,
  portalId: actionEvents.portalId,
  requesterId: actionEvents.requesterId,
  kind: actionEvents.kind,
  version: actionEvents.version,
  snapshot: actionEvents.snapshot,
};

/** Events in id order that match `where`, at most `limit`. */
function eventsWhere(db: Db, where: SQL | undefined, limit: number): Promise<StoredEvent[]> {
  return db.select(columns).from(actionEvents).where(where).orderBy(asc(actionEvents.id)).limit(limit);
}

/** Every event after `afterId`, in order, for all owners (what the tail publishes). */
export function readEventsAfter(db: Db, afterId: number, limit: number): Promise<StoredEvent[]> {
  return eventsWhere(db, gt(actionEvents.id, afterId), limit);
}

/** One person's events after `afterId`, in order (what a resuming stream replays). */
export function readOwnEventsAfter(
  db: Db,
  owner: { portal: string; sub: string },
  afterId: number,
  limit: number,
): Promise<StoredEvent[]> {
  return eventsWhere(
    db,
    and(
      eq(actionEvents.portalId, owner.portal),
      eq(actionEvents.requesterId, owner.sub),
      gt(actionEvents.id, afterId),
    ),
    limit,
  );
}

/**
 * One portal's events after `afterId`, in order (what a portal's stream object publishes). The cursor is
 * recent, so the id range is walked (`+portal_id` keeps SQLite off the owner index, which would scan the
 * portal's whole history).
 */
export function readPortalEventsAfter(
  db: Db,
  portal: string,
  afterId: number,
  limit: number,
): Promise<StoredEvent[]> {
  return eventsWhere(
    db,
    and(gt(actionEvents.id, afterId), sql`+${actionEvents.portalId} = ${portal}`),
    limit,
  );
}

/** The portals that have events after `afterId` (whose stream objects a clock job must tell). */
export async function portalsWithEventsAfter(db: Db, afterId: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ portal: actionEvents.portalId })
    .from(actionEvents)
    .where(gt(actionEvents.id, afterId));
  return rows.map((row) => row.portal);
}

export async function latestEventId(db: Db): Promise<number> {
  const [row] = await db.select({ id: max(actionEvents.id) }).from(actionEvents);
  return row?.id ?? 0;
}

/** Deletes events older than `before` (ms), a bounded batch at a time; returns how many went. */
export async function pruneEvents(db: Db, before: number, batch = 5_000): Promise<number> {
  const oldest = db
    .select({ id: actionEvents.id })
    .from(actionEvents)
    .where(lt(actionEvents.createdAt, before))
    .orderBy(asc(actionEvents.id))
    .limit(batch);
  const deleted = await db
    .delete(actionEvents)
    .where(inArray(actionEvents.id, oldest))
    .returning({ id: actionEvents.id });
  return deleted.length;
}
