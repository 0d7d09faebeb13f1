/**
 * One person's live stream of action events, as a direct ReadableStream: frames are written straight to
 * Bun's response sink, with no queue or read promise per frame (lighter than a helper per connection).
 * Resuming with Last-Event-ID replays from the log, then goes live from the hub without a gap or a
 * duplicate: hub events that arrive during the replay are held back and only those after it are sent.
 */
import type { Db } from "../db/client";
import type { EventHub, HeadReader } from "./hub";
import { ResumableStream } from "./resumable-stream";

/** Never cached, never transformed or compressed, never buffered by a proxy (contract and DESIGN.md). */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;
/** A stream whose client has taken none of this many frames is closed; the browser reconnects and replays. */
export const MAX_BACKLOG_FRAMES = 1_000;
/** How often every open stream gets a comment: the contract asks for one at least every 15 s. */
export const HEARTBEAT_MS = 10_000;

export interface StreamOptions {
  db: Db;
  hub: EventHub;
  owner: { portal: string; sub: string };
  /** The last event id the client saw, or null for a fresh stream that starts now. */
  lastEventId: number | null;
  /** Reconnection delay hinted to the client. */
  retryMs?: number;
  /**
   * For a stream opened with the session cookie: whether its session still holds, asked at each
   * heartbeat, so a sign-out on any process ends streams that were already open (within a heartbeat).
   */
  stillSignedIn?: () => unknown;
}

export function eventStreamResponse(options: StreamOptions): Response {
  return new EventStream(options).response();
}

/**
 * One open stream: a single object per connection that is also the ReadableStream's source (no closures
 * per stream), so 10,000 streams cost little more than Bun's own connections.
 * Bun calls `pull` once when it serves the response; a reader (`app.request` in tests) calls it per read.
 */
class EventStream extends ResumableStream implements HeadReader, Bun.DirectUnderlyingSource<Uint8Array> {
  private controller: ReadableStreamDirectController | null = null;
  /** Frames written since the socket stopped draining (0 while it drains). */
  private backlog = 0;

  constructor(private readonly options: StreamOptions) {
    super(options.lastEventId ?? options.hub.lastPublishedId);
  }

  response(): Response {
    // Subscribed now, not at the first pull: the per-person limit counts it at once, and events that
    // come before Bun pulls are held. Bun cancels the stream even if it never pulls (client gone).
    this.options.hub.subscribe(this.options.owner, this);
    // The DOM lib's ReadableStream type hides Bun's direct overload (the class implements its source).
    return new Response(new ReadableStream(this as unknown as UnderlyingDefaultSource<Uint8Array>), {
      headers: SSE_HEADERS,
    });
  }

  /** The ReadableStream's kind (a getter: no field per stream). */
  get type(): "direct" {
    return "direct";
  }

  /** The ReadableStream's pull: starts writing, the first time. */
  pull(controller: ReadableStreamDirectController): void {
    if (this.controller) return;
    if (this.closed) {
      controller.close(); // closed (closeAll) before Bun's first pull
      return;
    }
    const { db, hub, lastEventId } = this.options;
    this.controller = controller;
    // No abort listener: Bun cancels the stream itself when the client goes (cancel below).
    if (lastEventId === null) {
      // A fresh stream starts at the log's head now, even if this process's tail has not caught up.
      hub.readHead(db, this);
    } else {
      this.send(this.hello(this.options.retryMs ?? 2000, null));
      this.replay(db, this.options.owner).then(
        () => this.release(),
        () => this.close(),
      );
    }
  }

  /** The ReadableStream's cancel: the client went. */
  cancel(): void {
    this.close();
  }

  ping(frame: Uint8Array): void {
    const signedIn = this.options.stillSignedIn?.() ?? true;
    if (signedIn instanceof Promise)
      // A failed check (the database busy) keeps the stream: the next heartbeat asks again.
      signedIn.then(
        (yes) => (yes ? this.send(frame) : this.close()),
        () => this.send(frame),
      );
    else if (signedIn) this.send(frame);
    else this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.hub.unsubscribe(this.options.owner, this);
    try {
      this.controller?.close();
    } catch {
      // already closed by the client
    }
  }

  /**
   * A fresh stream learns the log's head. The hello carries the starting id (it dispatches no event): a
   * browser whose stream drops before the first event still resumes with Last-Event-ID, exactly from here.
   */
  started(head: number): void {
    if (this.closed) return;
    this.cursor = Math.max(this.cursor, head);
    this.send(this.hello(this.options.retryMs ?? 2000, this.cursor));
    this.release();
  }

  protected send(frame: Uint8Array): void {
    const controller = this.controller;
    if (this.closed || !controller) return;
    if (this.backlog > MAX_BACKLOG_FRAMES) {
      this.close();
      return;
    }
    const written = controller.write(frame);
    controller.flush();
    if (written === 0) {
      // The client is gone (Bun's cancel follows; closing now stops the writes in between).
      this.close();
    } else if (this.backlog > 0) {
      this.backlog++;
    } else if (typeof written !== "number") {
      // Backpressure: count frames until the sink drains (one callback per stall, not per frame).
      this.backlog = 1;
      written.then(
        () => {
          this.backlog = 0;
        },
        () => {},
      );
    }
  }
}
