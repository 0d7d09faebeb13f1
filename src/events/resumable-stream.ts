/**
 * What every live stream of one person does, whatever carries its frames (Bun's direct stream, or a
 * portal's stream object at the edge): the events that arrive while it replays from the log (or learns
 * where a fresh stream starts) are held, then released after the replay; a frame goes out only when its
 * id is above the stream's cursor, so no event is sent twice and none is skipped.
 */
import type { Db } from "../db/client";
import { eventFrame, type Subscriber } from "./hub";
import { readOwnEventsAfter, type StoredEvent } from "./log";

const encoder = new TextEncoder();
const REPLAY_BATCH = 500;

export abstract class ResumableStream implements Subscriber {
  /** Until the replay (or, for a fresh stream, the read of its start) is done, hub events are held. */
  private replaying = true;
  private held: StoredEvent[] | null = null;
  protected closed = false;

  constructor(
    /** The id of the last event sent (or skipped as already seen). */
    protected cursor: number,
  ) {}

  /** Writes one frame to the client. */
  protected abstract send(frame: Uint8Array): void;
  abstract close(): void;
  abstract ping(frame: Uint8Array): void;

  deliver(event: StoredEvent, frame: Uint8Array): void {
    if (!this.replaying) {
      this.sendEvent(event, frame);
      return;
    }
    this.held ??= [];
    this.held.push(event);
  }

  /** The first frame; a fresh stream's carries its starting id, so it resumes exactly from there. */
  protected hello(retryMs: number, id: number | null): Uint8Array {
    return encoder.encode(`retry: ${retryMs}\n${id === null ? "" : `id: ${id}\n`}: connected\n\n`);
  }

  /** Sends the person's events after the cursor, from the log (call `release` after it). */
  protected async replay(db: Db, owner: { portal: string; sub: string }): Promise<void> {
    for (;;) {
      const batch = await readOwnEventsAfter(db, owner, this.cursor, REPLAY_BATCH);
      for (const event of batch) this.sendEvent(event);
      if (batch.length < REPLAY_BATCH || this.closed) return;
    }
  }

  /** Ends the replay: the events held meanwhile go out (those it already sent are skipped). */
  protected release(): void {
    this.replaying = false;
    const held = this.held;
    this.held = null;
    if (held) for (const event of held) this.sendEvent(event);
  }

  protected sendEvent(event: StoredEvent, frame?: Uint8Array): void {
    if (event.id <= this.cursor) return;
    this.cursor = event.id;
    this.send(frame ?? eventFrame(event));
  }
}
