/**
 * Subscriber side of the fan-out benchmarks, in its own process: opens `count` raw TCP connections to
 * `GET /v1/events` and times the arrival of each marked frame. A marked frame is the first status event
 * (`event: action.status`, status `not_started`) of an action whose file name is
 * `p-<seq>-<publish time in epoch ms>.csv`; its latency is arrival time minus publish time (both
 * `performance.timeOrigin + performance.now()`, same machine). With `"since": "completedAt"` it is the
 * `cancelled` status event instead, timed from the action's `completedAt` (the cancel's commit time,
 * taken by the server on the same machine, to the millisecond).
 *
 * Talks to the orchestrator by lines: prints `ready <open> <failed>` once every connection has its
 * response head, `got <marked frames>` while frames arrive; on `stop` (stdin) it writes the latencies
 * (Float64Array) to `out` and prints `done <json>`.
 * Usage: bun bench/lib/sse-clients.ts '{"port":…,"tokens":[…],"count":…,"out":"…"}'
 */
import type { Socket } from "bun";
import { exitWithParent } from "./watchdog";

exitWithParent();

interface Options {
  port: number;
  /** Bearer tokens, used round-robin (one person or a few). */
  tokens: string[];
  count: number;
  out: string;
  /** What the latency is measured from (see above). */
  since?: "fileName" | "completedAt";
}

const options = JSON.parse(process.argv[2] ?? "{}") as Options;
const now = () => performance.timeOrigin + performance.now();
/**
 * The frame's own status is the view's first `"status"` (the timeline, later in the view, holds earlier
 * ones). Its first status event says `not_started`; later `action.progress` events may too.
 */
const ownStatus = (frame: string) => {
  const at = frame.indexOf('"status":"');
  return at < 0 ? null : frame.slice(at + 10, frame.indexOf('"', at + 10));
};
const PUBLISHED = /"fileName":"p-\d+-([\d.]+)\.csv"/;
const COMPLETED_AT = /"completedAt":"([^"]+)"/;
const markTime: (frame: string) => number | null =
  options.since === "completedAt"
    ? (frame) => {
        const match = ownStatus(frame) === "cancelled" ? COMPLETED_AT.exec(frame) : null;
        return match ? Date.parse(match[1]!) : null;
      }
    : (frame) => {
        const match = ownStatus(frame) === "not_started" ? PUBLISHED.exec(frame) : null;
        return match ? Number(match[1]) : null;
      };

interface Conn {
  head: boolean;
  carry: string;
}
let latencies = new Float64Array(1 << 16);
let marked = 0;
let frames = 0;
let open = 0;
let failed = 0;
let closedEarly = 0;
let stopping = false;

function record(ms: number) {
  if (marked === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[marked++] = ms;
}

function onData(conn: Conn, text: string, at: number) {
  let buffer = conn.carry + text;
  if (!conn.head) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) {
      conn.carry = buffer;
      return;
    }
    conn.head = true;
    if (buffer.startsWith("HTTP/1.1 200")) open++;
    else failed++;
    pendingHeads--;
    buffer = buffer.slice(end + 4);
  }
  let start = 0;
  for (;;) {
    const end = buffer.indexOf("\n\n", start);
    if (end < 0) break;
    const frame = buffer.slice(start, end);
    start = end + 2;
    if (frame.includes("data:")) {
      frames++;
      const since = frame.includes("event: action.status") ? markTime(frame) : null;
      if (since !== null) record(at - since);
    }
  }
  conn.carry = buffer.slice(start);
}

let pendingHeads = 0;
const decoder = new TextDecoder("latin1");
const request = (token: string) =>
  `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`;

async function connectOne(i: number): Promise<void> {
  const conn: Conn = { head: false, carry: "" };
  pendingHeads++;
  try {
    await Bun.connect<Conn>({
      hostname: "127.0.0.1",
      port: options.port,
      data: conn,
      socket: {
        open(socket: Socket<Conn>) {
          socket.write(request(options.tokens[i % options.tokens.length]!));
        },
        data(socket: Socket<Conn>, chunk: Buffer) {
          onData(socket.data, decoder.decode(chunk), now());
        },
        close(socket: Socket<Conn>) {
          if (!socket.data.head) {
            socket.data.head = true;
            failed++;
            pendingHeads--;
          } else if (!stopping) closedEarly++;
        },
        error() {},
      },
    });
  } catch {
    failed++;
    pendingHeads--;
  }
}

// Connect with bounded concurrency so the server's accept backlog is never overrun.
const IN_FLIGHT = 200;
for (let i = 0; i < options.count; i += IN_FLIGHT) {
  const wave: Promise<void>[] = [];
  for (let j = i; j < Math.min(options.count, i + IN_FLIGHT); j++) wave.push(connectOne(j));
  await Promise.all(wave);
  const deadline = performance.now() + 10_000;
  while (pendingHeads > 0 && performance.now() < deadline) await Bun.sleep(5);
}
console.log(`ready ${open} ${failed}`);

let reported = -1;
const progress = setInterval(() => {
  if (marked !== reported) {
    reported = marked;
    console.log(`got ${marked}`);
  }
}, 100);

for await (const line of console) {
  if (line.trim() !== "stop") continue;
  stopping = true;
  clearInterval(progress);
  await Bun.write(options.out, latencies.subarray(0, marked));
  console.log(`done ${JSON.stringify({ open, failed, frames, marked, closedEarly })}`);
  process.exit(0);
}
// Standard input closed without `stop`: the orchestrator is gone.
process.exit(3);
