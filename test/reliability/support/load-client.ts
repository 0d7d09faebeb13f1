/**
 * A client process for the reliability suite: many SSE streams and/or pollers against one tracker URL,
 * over real sockets (fetch), so the load comes from outside the server's process. Run as
 * `bun test/reliability/support/load-client.ts <config.json>` with BUN_CONFIG_MAX_HTTP_REQUESTS raised
 * (Bun's fetch otherwise holds at most 256 requests at once).
 *
 * Streams reconnect on their own with Last-Event-ID, as a browser's EventSource does; every event id they
 * receive is recorded so the test can compare it with the event log. Pollers send If-None-Match and
 * record each answer's status and latency.
 *
 * Protocol: it prints `{"ready":…}` once every stream has its first frame and every poller one answer;
 * then reads commands on stdin, one JSON per line:
 *   {"cmd":"stop-polls"}                             pollers stop (their results are kept)
 *   {"cmd":"finish","heads":{owner:id},"timeoutMs":n} wait until each stream saw its owner's head, close
 *                                                    everything, write the results file, print {"done":true}
 */
import { writeFileSync } from "node:fs";

export interface StreamSpec {
  token: string;
  /** `portal|sub`, to match the event log's owner. */
  owner: string;
  /** Start with `Last-Event-ID: 0` (replay everything) instead of a fresh stream. */
  resume: boolean;
}

export interface PollSpec {
  token: string;
  ref: string;
}

export interface ClientConfig {
  url: string;
  out: string;
  streams: StreamSpec[];
  polls: PollSpec[];
  pollIntervalMs: number;
}

export interface StreamResult {
  owner: string;
  /** The id the stream started after: 0 when resuming from the start, else the fresh stream's hello id. */
  startId: number;
  /** Ids of the events received, in order of arrival. */
  ids: number[];
  reconnects: number;
  /** Connection failures (refused, reset) and non-200 answers, as text. */
  errors: string[];
  /** Frames whose data was not the action JSON. */
  badFrames: number;
  caughtUp: boolean;
}

export interface PollResult {
  count: number;
  statuses: Record<string, number>;
  errors: string[];
  /** Latencies in ms, sorted. */
  latencies: number[];
  /** A poll that showed a lower version than an earlier poll of the same poller. */
  versionRegressions: number;
  /** Polls slower than 500 ms: when they started (epoch ms) and how long they took (the first 500). */
  slow: [number, number][];
}

export interface ClientResult {
  streams: StreamResult[];
  polls: PollResult;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const path = process.argv[2];
  if (!path) throw new Error("usage: load-client.ts <config.json>");
  const config = JSON.parse(await Bun.file(path).text()) as ClientConfig;

  let stopPolls = false;
  let finishing = false;
  const heads = new Map<string, number>();

  // ---------- streams ----------
  const streams = config.streams.map((spec) => {
    const state = {
      spec,
      result: {
        owner: spec.owner,
        startId: -1,
        ids: [],
        reconnects: 0,
        errors: [],
        badFrames: 0,
        caughtUp: false,
      } as StreamResult,
      last: spec.resume ? 0 : (null as number | null),
      firstFrame: false,
      abort: new AbortController(),
      closed: false,
    };
    if (spec.resume) state.result.startId = 0;
    return state;
  });

  type S = (typeof streams)[number];
  const decoder = () => new TextDecoder();

  const handleFrame = (s: S, raw: string) => {
    s.firstFrame = true;
    let id: string | undefined;
    let event: string | undefined;
    let data: string | undefined;
    for (const line of raw.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const key = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (key === "id") id = value;
      else if (key === "event") event = value;
      else if (key === "data") data = data === undefined ? value : `${data}\n${value}`;
    }
    if (id !== undefined && id !== "") {
      const n = Number(id);
      // The fresh stream's hello carries its starting id and dispatches nothing (EventSource sets lastEventId).
      if (s.result.startId < 0) s.result.startId = n;
      s.last = n;
      if (event !== undefined && data !== undefined) {
        s.result.ids.push(n);
        try {
          const view = JSON.parse(data) as { referenceId?: unknown; version?: unknown };
          if (typeof view.referenceId !== "string" || typeof view.version !== "number") s.result.badFrames++;
        } catch {
          s.result.badFrames++;
        }
      }
    }
    const head = heads.get(s.spec.owner);
    if (head !== undefined && s.last !== null && s.last >= head) s.result.caughtUp = true;
  };

  const runStream = async (s: S) => {
    let attempt = 0;
    while (!s.closed) {
      if (attempt > 0) {
        s.result.reconnects++;
        await sleep(150 + Math.random() * 150);
        if (s.closed) break;
      }
      attempt++;
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${s.spec.token}` };
        if (s.last !== null) headers["last-event-id"] = String(s.last);
        const res = await fetch(`${config.url}/v1/events`, { headers, signal: s.abort.signal });
        if (res.status !== 200) {
          s.result.errors.push(`status ${res.status}`);
          await res.body?.cancel();
          continue;
        }
        const reader = res.body!.getReader();
        const text = decoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += text.decode(value, { stream: true });
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            handleFrame(s, buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
          }
        }
      } catch (error) {
        if (s.closed) break;
        s.result.errors.push(String((error as Error)?.message ?? error).slice(0, 200));
      }
    }
  };

  // ---------- pollers ----------
  const polls: PollResult = {
    count: 0,
    statuses: {},
    errors: [],
    latencies: [],
    versionRegressions: 0,
    slow: [],
  };
  const runPoller = async (spec: PollSpec, ready: () => void) => {
    let etag: string | null = null;
    let version = 0;
    let first = true;
    await sleep(Math.random() * config.pollIntervalMs);
    while (!stopPolls) {
      const t0 = performance.now();
      const startedAt = Date.now();
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${spec.token}` };
        if (etag) headers["if-none-match"] = etag;
        const res = await fetch(`${config.url}/v1/actions/${spec.ref}`, { headers });
        if (res.status === 200) {
          const body = (await res.json()) as { version: number };
          if (body.version < version) polls.versionRegressions++;
          version = Math.max(version, body.version);
          etag = res.headers.get("etag");
        } else {
          await res.arrayBuffer();
        }
        const ms = performance.now() - t0;
        polls.latencies.push(ms);
        if (ms > 500 && polls.slow.length < 500) polls.slow.push([startedAt, Math.round(ms)]);
        polls.count++;
        polls.statuses[res.status] = (polls.statuses[res.status] ?? 0) + 1;
      } catch (error) {
        polls.errors.push(String((error as Error)?.message ?? error).slice(0, 200));
      }
      if (first) {
        first = false;
        ready();
      }
      await sleep(config.pollIntervalMs * (0.75 + Math.random() * 0.5));
    }
  };

  let pollersReady = 0;
  const streamRuns = streams.map((s) => runStream(s));
  const pollRuns = config.polls.map((spec) => runPoller(spec, () => pollersReady++));

  const readyDeadline = Date.now() + 60_000;
  while (Date.now() < readyDeadline) {
    if (streams.every((s) => s.firstFrame) && pollersReady === config.polls.length) break;
    await sleep(50);
  }
  console.log(
    JSON.stringify({
      ready: streams.every((s) => s.firstFrame) && pollersReady === config.polls.length,
      streams: streams.filter((s) => s.firstFrame).length,
      pollers: pollersReady,
    }),
  );

  const finish = async (finalHeads: Record<string, number>, timeoutMs: number) => {
    if (finishing) return;
    finishing = true;
    for (const [owner, id] of Object.entries(finalHeads)) heads.set(owner, id);
    for (const s of streams) {
      const head = heads.get(s.spec.owner) ?? 0;
      if (s.last !== null && s.last >= head) s.result.caughtUp = true;
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !streams.every((s) => s.result.caughtUp)) await sleep(25);
    stopPolls = true;
    for (const s of streams) {
      s.closed = true;
      s.abort.abort();
    }
    await Promise.allSettled([...streamRuns, ...pollRuns]);
    polls.latencies.sort((a, b) => a - b);
    const result: ClientResult = { streams: streams.map((s) => s.result), polls };
    writeFileSync(config.out, JSON.stringify(result));
    console.log(JSON.stringify({ done: true }));
    process.exit(0);
  };

  const input = decoder();
  let pending = "";
  for await (const chunk of Bun.stdin.stream()) {
    pending += input.decode(chunk, { stream: true });
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
      if (!line) continue;
      const command = JSON.parse(line) as { cmd: string; heads?: Record<string, number>; timeoutMs?: number };
      if (command.cmd === "stop-polls") {
        stopPolls = true;
        await Promise.allSettled(pollRuns);
        polls.latencies.sort((a, b) => a - b);
        console.log(JSON.stringify({ pollsStopped: true }));
      } else if (command.cmd === "finish") {
        await finish(command.heads ?? {}, command.timeoutMs ?? 15_000);
      }
    }
  }
  // stdin closed without a finish: the parent is gone.
  process.exit(0);
}

if (import.meta.main) await main();
