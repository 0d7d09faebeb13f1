/**
 * One open `/v1/events` stream held by a portal's stream object (a standard ReadableStream: workerd has
 * no direct streams). It subscribes to the object's hub at once, so the per-person limit counts it and
 * live events that arrive before it is ready are held; then it starts either at the feed's position (a
 * fresh stream) or after a replay of the person's events from the log (Last-Event-ID), and releases
 * what it held (the shared ResumableStream: every event goes out once).
 */

import { ResumableStream } from "../events/resumable-stream";
import { MAX_BACKLOG_FRAMES, SSE_HEADERS } from "../events/stream";
import type { PortalFeed } from "./portal-feed";

export interface Owner {
  portal: string;
  sub: string;
}

export class EdgeStream extends ResumableStream {
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;

  constructor(
    private readonly feed: PortalFeed,
    readonly owner: Owner,
    private readonly lastEventId: number | null,
    /** When the stream ends itself (the client reconnects with Last-Event-ID). */
    readonly endsAt: number,
    private readonly retryMs: number,
  ) {
    super(lastEventId ?? 0);
  }

  response(): Response {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => this.close(),
    });
    this.feed.hub.subscribe(this.owner, this);
    this.begin().catch(() => this.close());
    return new Response(stream, { headers: SSE_HEADERS });
  }

  /** The object's heartbeat: a comment, or the end once the stream has lasted long enough. */
  ping(frame: Uint8Array): void {
    if (Date.now() >= this.endsAt) this.close();
    else this.send(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.closed(this);
    try {
      this.controller?.close();
    } catch {
      // already cancelled by the client
    }
  }

  /**
   * The feed follows the log from its position on, so the replay (if any) runs after the position is
   * known: together they cover every event after Last-Event-ID. A client already at or past the
   * position needs no replay at all (no read of the log).
   */
  private async begin(): Promise<void> {
    if (this.lastEventId === null) {
      this.cursor = await this.feed.position();
      this.send(this.hello(this.retryMs, this.cursor));
    } else {
      this.send(this.hello(this.retryMs, null));
      const position = await this.feed.position();
      if (this.lastEventId < position) await this.replay(this.feed.db, this.owner);
    }
    this.release();
  }

  protected send(frame: Uint8Array): void {
    const controller = this.controller;
    if (this.closed || !controller) return;
    if ((controller.desiredSize ?? 0) < -MAX_BACKLOG_FRAMES) {
      this.close();
      return;
    }
    try {
      controller.enqueue(frame);
    } catch {
      this.close(); // the client went
    }
  }
}
