/**
 * The latest known state of recently changed actions, per process, so a poll needs no database read.
 * Fed by the event tail (the same publish that feeds the streams, and before it) and by this process's
 * own writes. Correctness: an entry only ever moves to a higher version; a stream frame is sent only
 * after the cache holds its version, so a poll here never shows a version older than one already
 * streamed from here. A client that shows a newer ETag than the entry is answered from the database.
 */
import { type ActionSnapshot, toView } from "../actions/view";

export interface CachedAction {
  portalId: string;
  requesterId: string;
  version: number;
  etag: string;
  /** The action JSON, serialised once. */
  body: string;
}

export const etagOf = (action: { referenceId: string; version: number }) =>
  `"${action.referenceId}.${action.version}"`;

/** An entry built from a snapshot (what the cache would hold; also used where there is no cache). */
export function cacheable(snapshot: ActionSnapshot, body?: string): CachedAction {
  return {
    portalId: snapshot.portalId,
    requesterId: snapshot.requesterId,
    version: snapshot.version,
    etag: etagOf(snapshot),
    body: body ?? JSON.stringify(toView(snapshot)),
  };
}

export class ActionCache {
  private readonly entries = new Map<string, CachedAction>();

  constructor(private readonly maxEntries = 50_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(referenceId: string): CachedAction | undefined {
    return this.entries.get(referenceId);
  }

  /** Records a snapshot unless a newer version is already here; returns what the cache now holds. */
  put(snapshot: ActionSnapshot, body?: string): CachedAction {
    const current = this.entries.get(snapshot.referenceId);
    if (current && current.version >= snapshot.version) return current;
    const entry = cacheable(snapshot, body);
    // Re-inserting moves the entry to the end: the first entries are the least recently changed.
    this.entries.delete(snapshot.referenceId);
    this.entries.set(snapshot.referenceId, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return entry;
  }
}
