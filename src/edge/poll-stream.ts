/**
 * The event stream at the edge. An isolate has no background tail timer to feed a hub, and the event
 * that matters may have been written by another isolate, so each open stream reads its owner's events
 * from the log itself, about once a second, for as long as its request is open.
 *
 * It is a pull stream: the runtime asks for the next frame only when the client has taken the last one,
 * so a slow or gone client costs no reads, and `cancel()` (the client left) ends the loop. The stream
 * ends itself after `maxDurationMs`, well before the platform might cut it, with a `retry:` hint sent
 * up front: the browser reconnects with Last-Event-ID and the replay fills the gap, none twice.
 */
import type { Db } from "../db/client";
import { eventFrame } from "../events/hub";
import { latestEventId, readOwnEventsAfter } from "../events/log";
import { HEARTBEAT_MS, SSE_HEADERS } from "../events/stream";

const encoder = new TextEncoder();
const PING = encoder.encode(": keep-alive\n\n");
const REPLAY_BATCH = 500;

export interface PollStreamOptions {
  db: Db;
  owner: { portal: string; sub: string };
  /** The last event id the client saw, or null for a fresh stream that starts after the newest event. */
  lastEventId: number | null;
  /** How often the log is read while nothing new came. */
  pollMs: number;
  /** The stream ends after this long (the client reconnects). */
  maxDurationMs: number;
  /** A comment goes out when nothing else did for this long (the contract: at least every 15 s). */
  heartbeatMs?: number;
  /** Reconnection delay hinted to the client. */
  retryMs?: number;
  /** The stream ends after this many reads of the log (D1 bounds the queries of one invocation). */
  maxReads?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export function pollingStreamResponse(options: PollStreamOptions): Response {
  const { db, owner } = options;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  let cursor = options.lastEventId;
  let closed = false;
  let deadline = 0;
  let lastSentAt = 0;
  let reads = 0;
  const maxReads = options.maxReads ?? Number.POSITIVE_INFINITY;
  // A fresh stream starts at the newest event as of the connection, not as of the first read. (It is
  // read here, not in an async `start()`: workerd calls `pull()` without waiting for `start()`.)
  const ready =
    cursor === null
      ? latestEventId(db).then((id) => {
          reads++;
          cursor = id;
        })
      : Promise.resolve();
  ready.catch(() => {}); // a client gone before its first read must not leave an unhandled rejection
  options.signal?.addEventListener("abort", () => {
    closed = true;
  });

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        deadline = Date.now() + options.maxDurationMs;
        lastSentAt = Date.now();
        controller.enqueue(encoder.encode(`retry: ${options.retryMs ?? 2000}\n: connected\n\n`));
      },
      async pull(controller) {
        const end = () => {
          closed = true;
          try {
            controller.close();
          } catch {
            // already cancelled by the client
          }
        };
        await ready;
        for (;;) {
          if (closed || Date.now() >= deadline || reads >= maxReads) return end();
          reads++;
          const events = await readOwnEventsAfter(db, owner, cursor!, REPLAY_BATCH);
          if (closed) return end();
          if (events.length > 0) {
            for (const event of events) controller.enqueue(eventFrame(event));
            cursor = events[events.length - 1]!.id;
            lastSentAt = Date.now();
            return;
          }
          if (Date.now() - lastSentAt >= heartbeatMs) {
            controller.enqueue(PING);
            lastSentAt = Date.now();
            return;
          }
          const now = Date.now();
          await sleep(Math.min(options.pollMs, deadline - now, lastSentAt + heartbeatMs - now));
        }
      },
      cancel() {
        closed = true;
      },
    },
    { highWaterMark: 0 },
  );

  return new Response(stream, { headers: SSE_HEADERS });
}
