/** Reads a child's stdout as lines and waits for lines that match. */
export class LineReader {
  readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    void this.pump(stream);
  }

  private async pump(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let carry = "";
    for await (const chunk of stream) {
      const parts = (carry + decoder.decode(chunk, { stream: true })).split("\n");
      carry = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wake();
    }
    if (carry) this.lines.push(carry);
    this.ended = true;
    this.wake();
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The latest line starting with `prefix`, or undefined. */
  last(prefix: string): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--)
      if (this.lines[i]!.startsWith(prefix)) return this.lines[i];
    return undefined;
  }

  /** Resolves with the first line starting with `prefix` (throws after `timeoutMs` or at the end). */
  async waitFor(prefix: string, timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.startsWith(prefix));
      if (line !== undefined) return line;
      if (this.ended) throw new Error(`the process ended before printing "${prefix}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no "${prefix}" line after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
