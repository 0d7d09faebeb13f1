/** A small SSE reader over fetch: calls `onFrame` with each frame's fields and its arrival time. */
export interface Frame {
  id: string | undefined;
  event: string | undefined;
  data: string;
  /** performance.timeOrigin + performance.now() when the chunk holding it arrived. */
  at: number;
}

export async function openStream(
  url: string,
  headers: Record<string, string>,
  onFrame: (frame: Frame) => void,
): Promise<{ close(): void; ended: Promise<void> }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let carry = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = performance.timeOrigin + performance.now();
        const parts = (carry + decoder.decode(value, { stream: true })).split("\n\n");
        carry = parts.pop() ?? "";
        for (const part of parts) {
          const fields = new Map<string, string>();
          for (const line of part.split("\n")) {
            const colon = line.indexOf(":");
            if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          const data = fields.get("data");
          if (data !== undefined) onFrame({ id: fields.get("id"), event: fields.get("event"), data, at });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { close: () => controller.abort(), ended };
}
