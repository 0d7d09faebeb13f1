/**
 * An action's story: each status change with its time and cause, and the moments that matter without
 * one (a worker resuming an action whose lease ran out). Entries are appended to the action row's
 * `timeline` column by the very statement that makes the change, so the event trigger's snapshot carries
 * the timeline to every stream, poll cache and edge with no extra read, and it lives as long as the
 * action (the event log itself is pruned after 30 days).
 */
import { type SQL, sql } from "drizzle-orm";
import { actions } from "../db/schema";
import type { Status } from "./model";

/**
 * Who or what caused an entry: `requester` a request (start, cancel), `worker` the engine (claims, ends,
 * resumes, the checks of an upload), `clock` time itself (a schedule's time came, a time limit passed).
 */
export const TIMELINE_CAUSES = ["requester", "worker", "clock"] as const;
export type TimelineCause = (typeof TIMELINE_CAUSES)[number];

/** One entry as stored: `at` in milliseconds since the epoch. */
export interface StoredTimelineEntry {
  status: Status;
  at: number;
  by: TimelineCause;
  note: string | null;
}

/** One entry as the view shows it: `at` in ISO 8601 (UTC). */
export interface TimelineEntry {
  status: Status;
  at: string;
  by: TimelineCause;
  note: string | null;
}

/** The first timeline of a new action, for its insert. */
export function firstTimeline(status: Status, at: number, by: TimelineCause, note: string | null = null) {
  return JSON.stringify([{ status, at, by, note } satisfies StoredTimelineEntry]);
}

/**
 * The `timeline` value of an UPDATE that appends one entry. `status` may be SQL (the row's own status,
 * for an entry that changes none); `note` may be SQL computed from the row in the same statement.
 */
export function appendTimeline(
  status: Status | SQL,
  at: number,
  by: TimelineCause,
  note: string | SQL | null = null,
): SQL {
  return sql`json_insert(${actions.timeline}, '$[#]', json_object('status', ${status}, 'at', ${at}, 'by', ${by}, 'note', ${note}))`;
}

/**
 * The stored entries as the view's: from the row's JSON text or an event snapshot's array. Anything
 * unreadable is no story rather than a failed answer.
 */
export function timelineView(stored: string | StoredTimelineEntry[] | null | undefined): TimelineEntry[] {
  let entries: unknown = stored ?? [];
  if (typeof entries === "string") {
    try {
      entries = JSON.parse(entries);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(entries)) return [];
  return (entries as StoredTimelineEntry[]).map((e) => ({
    status: e.status,
    at: new Date(e.at).toISOString(),
    by: e.by,
    note: e.note ?? null,
  }));
}
