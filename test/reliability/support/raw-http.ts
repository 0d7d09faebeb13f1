/**
 * What an attacker sends that fetch() will not: a request written by hand on one socket (a chunked body
 * with no Content-Length, a body trickled or left half-sent), and the server's peak memory meanwhile,
 * read from /proc/<pid>/status every 20 ms.
 */
import { connect, type Socket } from "node:net";
import { rssMiB } from "./harness";

export interface RawRequest {
  /** The status line and headers, as the server answered (empty when it answered nothing). */
  head: string;
  /** The answer's body (as latin1 text). */
  body: string;
  /** Resolves once the server answered (or closed): wait on it, never on time. */
  answered: Promise<void>;
  /** Sends more of the request; rejects once the server has closed the connection. */
  write(data: string | Uint8Array): Promise<void>;
  close(): void;
}

/** Opens a socket and writes `head` (request line and headers, ending with the blank line). */
export function rawRequest(port: number, head: string): Promise<RawRequest> {
  return new Promise((resolveOpen, rejectOpen) => {
    let text = "";
    let settle: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const socket: Socket = connect(port, "127.0.0.1");
    const request: RawRequest = {
      get head() {
        return text.split("\r\n\r\n")[0] ?? "";
      },
      get body() {
        return text.includes("\r\n\r\n") ? text.slice(text.indexOf("\r\n\r\n") + 4) : "";
      },
      answered,
      write: (data) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) return reject(new Error("socket closed"));
          socket.write(data, (error) => (error ? reject(error) : resolve()));
        }),
      close: () => socket.destroy(),
    };
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      const at = text.indexOf("\r\n\r\n");
      if (at < 0) return;
      const length = /content-length:\s*(\d+)/i.exec(text.slice(0, at))?.[1];
      if (length !== undefined && text.length - at - 4 >= Number(length)) settle();
    });
    socket.on("error", () => settle());
    socket.on("close", () => settle());
    socket.once("connect", () => {
      request.write(head).then(() => resolveOpen(request), rejectOpen);
    });
  });
}

/** Writes `total` bytes as 1 MiB chunks of a chunked body, until done or the server closes; returns bytes sent. */
export async function sendChunked(request: RawRequest, total: number, byte = 0x62): Promise<number> {
  const chunk = new Uint8Array(1024 * 1024).fill(byte);
  let sent = 0;
  try {
    while (sent < total) {
      await request.write(`${chunk.length.toString(16)}\r\n`);
      await request.write(chunk);
      await request.write("\r\n");
      sent += chunk.length;
    }
    await request.write("0\r\n\r\n");
  } catch {
    // the server answered and closed: what was sent is what counts
  }
  return sent;
}

/** The status code of a raw answer (0 when there was none). */
export const statusOf = (request: RawRequest) => Number(/^HTTP\/1\.1 (\d{3})/.exec(request.head)?.[1] ?? 0);

/** Runs `work` while sampling the process's RSS; returns its result and the peak growth in MiB. */
export async function peakGrowth<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; growthMiB: number }> {
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process is gone: the test will say so
    }
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, rssMiB(pid));
    return { result, growthMiB: Math.round((peak - before) * 10) / 10 };
  } finally {
    clearInterval(sampler);
  }
}

/** Request head for a POST to /v1/actions with the given headers. */
export function postHead(headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `POST /v1/actions HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}
