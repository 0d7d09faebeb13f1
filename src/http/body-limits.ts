/**
 * Bounds on reading a request body, whatever the client sends: a byte limit counted as the body arrives
 * (a chunked body has no Content-Length to check first), and a deadline for the whole body. Bun's idle
 * timeout is reset by every byte, so a body trickled at one byte every few seconds held a request (its
 * spool file and its upload place) open forever; the deadline does not move.
 */
import { HttpProblem } from "./problem";

/**
 * The whole body must have arrived `ms` after this is made; reads after that fail with 408. One timer per
 * body, and at most one read waiting on it: racing each read against one long-lived promise would leave
 * a reaction per chunk on that promise, each holding its chunk until the deadline (a leak as large as
 * the body).
 */
export class BodyDeadline {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private expired: HttpProblem | null = null;
  private waiting: ((error: HttpProblem) => void) | null = null;

  constructor(readonly ms: number) {
    this.timer = setTimeout(() => {
      this.expired = bodyTimedOut(ms);
      this.waiting?.(this.expired);
    }, ms);
  }

  /** The next chunk of `reader`, or the 408 problem once the deadline has passed. */
  read(reader: ReadableStreamDefaultReader<Uint8Array>): ReturnType<typeof reader.read> {
    if (this.expired) return Promise.reject(this.expired);
    return new Promise((resolve, reject) => {
      this.waiting = reject;
      reader.read().then(
        (result) => {
          this.waiting = null;
          resolve(result);
        },
        (error) => {
          this.waiting = null;
          reject(error);
        },
      );
    });
  }

  /** The body is read (or given up): the timer goes. */
  end(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.waiting = null;
  }
}

export const bodyTimedOut = (ms: number) =>
  new HttpProblem(
    408,
    `The request body did not arrive within ${Math.round(ms / 1000)} s; send it again on a faster connection.`,
    { type: "/problems/body-timeout", headers: { connection: "close" } },
  );

/**
 * The body as bytes, refused with `tooLarge()` as soon as it passes `maxBytes` (before any more is
 * held) and with 408 once `deadline` passes. For bodies that are small by design (JSON, the edge's forms).
 */
export async function readBoundedBytes(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  tooLarge: () => HttpProblem,
  deadline: BodyDeadline,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await deadline.read(reader);
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    releaseQuietly(reader);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Releases a reader whose last read may still be pending (a deadline passed): it is cancelled already. */
export function releaseQuietly(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  try {
    reader.releaseLock();
  } catch {
    // a pending read of a cancelled stream: nothing is held
  }
}
