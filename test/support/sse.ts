/** Reads Server-Sent Events frames from a fetch Response body, exactly as sent. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
  raw: string;
}

export class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** True once the server ended the stream (or the connection broke). */
  ended = false;
  /** A read still in flight after a timeout: the next call must take its chunk, not start another read. */
  private pending: Promise<{ done: boolean; value?: Uint8Array | undefined }> | null = null;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** The next frame, or null when the stream ends or `timeoutMs` passes first. */
  async next(timeoutMs = 2_000): Promise<SseFrame | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const raw = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseFrame(raw);
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.pending ??= this.reader.read().catch(() => ({ done: true as const, value: undefined }));
      const chunk = await Promise.race([
        this.pending,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), left);
        }),
      ]);
      clearTimeout(timer);
      if (chunk === null) return null;
      this.pending = null;
      if (chunk.done) {
        this.ended = true;
        return null;
      }
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next frames that carry an event (skipping comments and retry hints). */
  async events(count: number, timeoutMs = 3_000): Promise<SseFrame[]> {
    const out: SseFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (!frame) break;
      if (frame.event) out.push(frame);
    }
    return out;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function parseFrame(raw: string): SseFrame {
  const frame: SseFrame = { raw };
  for (const line of raw.split("\n")) {
    if (line.startsWith(":")) frame.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(":");
      const key = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^ /, "");
      if (key === "id" || key === "event" || key === "data" || key === "retry") frame[key] = value;
    }
  }
  return frame;
}
