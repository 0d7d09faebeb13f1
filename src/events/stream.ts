/**
 * One person's live stream of action events, as a plain ReadableStream (lighter than a helper per
 * connection). Resuming with Last-Event-ID replays from the log, then goes live from the hub without a gap
 * or a duplicate: hub events that arrive during the replay are held back and only those after it are sent.
 */
import type { Db } from "../db/client";
import type { EventHub, Subscriber } from "./hub";
import { eventFrame } from "./hub";
import { latestEventId, readOwnEventsAfter, type StoredEvent } from "./log";

const encoder = new TextEncoder();

/** Never cached, never transformed or compressed, never buffered by a proxy (contract and DESIGN.md). */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;
/** A stream whose reader falls this far behind is closed; the browser reconnects and replays. */
const MAX_QUEUED_FRAMES = 1_000;

export interface StreamOptions {
  db: Db;
  hub: EventHub;
  owner: { portal: string; sub: string };
  /** The last event id the client saw, or null for a fresh stream that starts now. */
  lastEventId: number | null;
  /** Reconnection delay hinted to the client. */
  retryMs?: number;
}

export function eventStreamResponse(options: StreamOptions): Response {
  return new EventStream(options).response();
}

/**
 * One open stream: a single object per connection (no closures per stream), so 10,000 streams cost
 * little more than Bun's own connections.
 */
class EventStream implements Subscriber {
  private cursor: number;
  /** Until the replay (or, for a fresh stream, the read of the log's head) is done, hub events are held. */
  private replaying = true;
  private held: StoredEvent[] | null = null;
  private closed = false;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: StreamOptions) {
    this.cursor = options.lastEventId ?? options.hub.lastPublishedId;
  }

  response(): Response {
    const stream = new ReadableStream<Uint8Array>(
      { start: (controller) => this.start(controller), cancel: () => this.close() },
      { highWaterMark: 0 },
    );
    return new Response(stream, { headers: SSE_HEADERS });
  }

  deliver(event: StoredEvent, frame: Uint8Array): void {
    if (!this.replaying) {
      this.sendEvent(event, frame);
      return;
    }
    this.held ??= [];
    this.held.push(event);
  }

  ping(frame: Uint8Array): void {
    this.send(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    try {
      this.controller?.close();
    } catch {
      // already closed by the client
    }
  }

  private start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const { hub, owner, lastEventId } = this.options;
    this.controller = controller;
    // No abort listener: Bun cancels the stream itself when the client goes (the ReadableStream's cancel).
    this.unsubscribe = hub.subscribe(owner, this);
    if (lastEventId !== null) this.send(this.hello(""));
    this.catchUp().catch(() => this.close());
  }

  private hello(id: string): Uint8Array {
    return encoder.encode(`retry: ${this.options.retryMs ?? 2000}\n${id}: connected\n\n`);
  }

  /** Replays what was missed (or finds the log's head), then releases the events held meanwhile. */
  private async catchUp(): Promise<void> {
    const { db, owner, lastEventId } = this.options;
    if (lastEventId === null) {
      // A fresh stream starts at the log's head now, even if this process's tail has not caught up.
      // The hello carries the starting id (it dispatches no event): a browser whose stream drops
      // before the first event still resumes with Last-Event-ID, exactly from here.
      this.cursor = Math.max(this.cursor, await latestEventId(db));
      this.send(this.hello(`id: ${this.cursor}\n`));
    } else {
      for (;;) {
        const batch = await readOwnEventsAfter(db, owner, this.cursor, 500);
        for (const event of batch) this.sendEvent(event);
        if (batch.length < 500 || this.closed) break;
      }
    }
    this.replaying = false;
    const held = this.held ?? [];
    this.held = null;
    for (const event of held) this.sendEvent(event);
  }

  private sendEvent(event: StoredEvent, frame?: Uint8Array): void {
    if (event.id <= this.cursor) return;
    this.cursor = event.id;
    this.send(frame ?? eventFrame(event));
  }

  private send(frame: Uint8Array): void {
    const controller = this.controller;
    if (this.closed || !controller) return;
    if ((controller.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) this.close();
    else controller.enqueue(frame);
  }
}
