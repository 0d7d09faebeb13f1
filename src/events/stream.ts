/**
 * One person's live stream of action events, as a plain ReadableStream (lighter than a helper per
 * connection). Resuming with Last-Event-ID replays from the log, then goes live from the hub without a gap
 * or a duplicate: hub events that arrive during the replay are held back and only those after it are sent.
 */
import type { Db } from "../db/client";
import type { EventHub } from "./hub";
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
  /** Close the stream after this long (the edge ends streams before the platform does). */
  maxDurationMs?: number;
  signal?: AbortSignal;
  onClose?: () => void;
}

export function eventStreamResponse(options: StreamOptions): Response {
  const { db, hub, owner } = options;
  let cursor = options.lastEventId ?? hub.lastPublishedId;
  // Until the replay (or, for a fresh stream, the read of the log's head) is done, hub events are held.
  let replaying = true;
  let held: StoredEvent[] = [];
  let unsubscribe = () => {};
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const close = () => {
          if (closed) return;
          closed = true;
          unsubscribe();
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener("abort", close);
          options.onClose?.();
          try {
            controller.close();
          } catch {
            // already closed by the client
          }
        };
        const send = (frame: Uint8Array) => {
          if (closed) return;
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) return close();
          controller.enqueue(frame);
        };
        const sendEvent = (event: StoredEvent, frame?: Uint8Array) => {
          if (event.id <= cursor) return;
          cursor = event.id;
          send(frame ?? eventFrame(event));
        };
        unsubscribe = hub.subscribe(owner, {
          deliver: (event, frame) => (replaying ? held.push(event) : sendEvent(event, frame)),
          ping: send,
          close,
        });
        options.signal?.addEventListener("abort", close);
        if (options.maxDurationMs) timer = setTimeout(close, options.maxDurationMs);
        const hello = (id: string) =>
          encoder.encode(`retry: ${options.retryMs ?? 2000}\n${id}: connected\n\n`);
        if (options.lastEventId !== null) send(hello(""));
        (async () => {
          if (options.lastEventId === null) {
            // A fresh stream starts at the log's head now, even if this process's tail has not caught up.
            cursor = Math.max(cursor, await latestEventId(db));
            // The hello carries the starting id (it dispatches no event): a browser whose stream drops
            // before the first event still resumes with Last-Event-ID, exactly from here.
            send(hello(`id: ${cursor}\n`));
          }
          while (options.lastEventId !== null) {
            const batch = await readOwnEventsAfter(db, owner, cursor, 500);
            for (const event of batch) sendEvent(event);
            if (batch.length < 500 || closed) break;
          }
          replaying = false;
          for (const event of held) sendEvent(event);
          held = [];
        })().catch(close);
      },
      cancel() {
        closed = true;
        unsubscribe();
        if (timer) clearTimeout(timer);
        options.onClose?.();
      },
    },
    { highWaterMark: 0 },
  );

  return new Response(stream, { headers: SSE_HEADERS });
}
