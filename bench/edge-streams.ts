/**
 * Edge streams at scale, in workerd (Miniflare) with wrangler.toml's bindings; `GET /v1/events` streams
 * as raw sockets from two client processes; D1 statements counted by the probe binding around D1.
 * - Idle: N people in 10 portals, one stream each, all open and quiet: the statements executed meanwhile.
 * - Fan-out: N streams of one person (the per-person limit raised, as in the Bun fan-out bench), then
 *   that person's scheduled actions cancelled one by one at a steady pace: each `cancelled` event is
 *   timed from its commit (the action's `completedAt`) to its arrival on every stream.
 * Product: the portals' stream objects. Baseline: the same worker without the STREAMS binding, whose
 * streams each read the log once a second (the edge before them). Each run is a fresh worker.
 */
import { join } from "node:path";
import { type RunningEdge, startEdge } from "./lib/edge";
import { LineReader } from "./lib/lines";
import { removeFolder, spawnBun, tempFolder } from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { percentile, sortNumbers } from "./lib/stats";
import { tokenFor } from "./lib/tracker";

const PORTALS = 10;
const CLIENT_PROCESSES = 2;

interface Subscribers {
  open: number;
  lines: LineReader[];
  /** Stops the clients and returns every latency they timed. */
  stop(): Promise<number[]>;
  kill(): void;
}

/** Opens one stream per token (raw sockets, split over the client processes). */
async function subscribe(
  running: RunningEdge,
  dir: string,
  label: string,
  tokens: string[],
): Promise<Subscribers> {
  const port = Number(new URL(running.edge.url).port);
  const clients = Array.from({ length: CLIENT_PROCESSES }, (_, c) => {
    const mine = tokens.filter((_, i) => i % CLIENT_PROCESSES === c);
    const out = join(dir, `${label}-${c}.bin`);
    const options = { port, tokens: mine, count: mine.length, out, since: "completedAt" };
    const child = spawnBun(["bench/lib/sse-clients.ts", JSON.stringify(options)], {
      stdout: "pipe",
      stdin: "pipe",
      nofile: 8192,
    });
    return { child, out, lines: new LineReader(child.stdout) };
  });
  const kill = () => {
    for (const client of clients) client.child.kill(9);
  };
  try {
    const ready = await Promise.all(clients.map((c) => c.lines.waitFor("ready ", 120_000)));
    return {
      open: ready.reduce((sum, line) => sum + Number(line.split(" ")[1]), 0),
      lines: clients.map((c) => c.lines),
      kill,
      async stop() {
        const latencies: number[] = [];
        for (const client of clients) {
          client.child.stdin!.write("stop\n");
          await client.lines.waitFor("done ", 30_000);
          latencies.push(...new Float64Array(await Bun.file(client.out).arrayBuffer()));
        }
        kill();
        return latencies;
      },
    };
  } catch (error) {
    kill();
    throw error;
  }
}

async function call(
  url: string,
  token: string,
  path: string,
  body?: unknown,
): Promise<{ referenceId: string }> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    // A fresh connection: workerd closes idle ones while the streams sit quiet, and reuse would reset.
    keepalive: false,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as { referenceId: string };
}

/** A scheduled action (a day away: nothing for the engine to do until it is cancelled). */
const scheduledAction = () => ({
  type: "dynamic_rule_start",
  params: { group: "Bench watchers", rule: { attribute: "department", operator: "equals", value: "Ops" } },
  scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
  notify: false,
});

interface IdleRun {
  open: number;
  connectStatements: number;
  idleStatements: number;
  idleMs: number;
}

async function measureIdle(without: string[], dir: string, people: number, idleMs: number): Promise<IdleRun> {
  const running = await startEdge({}, { without });
  try {
    const tokens = Array.from({ length: people }, (_, i) => tokenFor(`w${i}`, `portal-${i % PORTALS}`));
    const before = running.statements();
    const subscribers = await subscribe(running, dir, `idle-${without.length}`, tokens);
    try {
      // Every response head is in, so each stream's own read is done; a moment more to settle.
      await Bun.sleep(1_000);
      const connectStatements = running.statements() - before;
      const from = running.statements();
      const started = performance.now();
      await Bun.sleep(idleMs);
      const idleStatements = running.statements() - from;
      return {
        open: subscribers.open,
        connectStatements,
        idleStatements,
        idleMs: performance.now() - started,
      };
    } finally {
      subscribers.kill();
    }
  } finally {
    await running.stop();
  }
}

interface FanOutRun {
  open: number;
  marked: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}

async function measureFanOut(
  without: string[],
  dir: string,
  streams: number,
  plan: { changes: number; intervalMs: number },
): Promise<FanOutRun> {
  const running = await startEdge({ MAX_STREAMS_PER_PERSON: String(streams + 64) }, { without });
  try {
    const token = tokenFor("watcher", "portal-0");
    const refs: string[] = [];
    for (let i = 0; i < plan.changes; i++) {
      refs.push((await call(running.edge.url, token, "/v1/actions", scheduledAction())).referenceId);
    }
    // The engine turns those requests asked for have run (they are not the streams' cost).
    await running.quiesce();
    const subscribers = await subscribe(running, dir, `fanout-${without.length}`, Array(streams).fill(token));
    try {
      await Bun.sleep(1_000);
      const started = performance.now();
      for (const [i, ref] of refs.entries()) {
        const wait = started + i * plan.intervalMs - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        await call(running.edge.url, token, `/v1/actions/${ref}/cancel`);
      }
      const expected = streams * plan.changes;
      const got = () =>
        subscribers.lines.reduce((sum, l) => sum + Number(l.last("got ")?.split(" ")[1] ?? 0), 0);
      const deadline = performance.now() + 60_000;
      while (got() < expected && performance.now() < deadline) await Bun.sleep(100);
      const sorted = sortNumbers(await subscribers.stop());
      return {
        open: subscribers.open,
        marked: sorted.length,
        expected,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] ?? Number.NaN,
      };
    } finally {
      subscribers.kill();
    }
  } finally {
    await running.stop();
  }
}

export async function benchEdgeStreams(quick: boolean): Promise<SectionResult> {
  const streams = quick ? 300 : 1_000;
  const idleMs = quick ? 5_000 : 10_000;
  const plan = { changes: quick ? 5 : 10, intervalMs: 500 };
  const dir = tempFolder("edge-streams");
  try {
    const idle = await measureIdle([], dir, streams, idleMs);
    const idleBase = await measureIdle(["STREAMS"], dir, streams, idleMs);
    const fan = await measureFanOut([], dir, streams, plan);
    const fanBase = await measureFanOut(["STREAMS"], dir, streams, plan);
    const idleLine = (run: IdleRun) =>
      `${fmt.int(run.idleStatements)} (${fmt.int(run.open)} open; connecting: ${fmt.int(run.connectStatements)})`;
    const fanLine = (run: FanOutRun) =>
      `p99 ${fmt.ms(run.p99)} (p50 ${fmt.ms(run.p50)}, max ${fmt.ms(run.max)}; ${fmt.int(run.marked)}/${fmt.int(run.expected)} frames, ${fmt.int(run.open)} open in time)`;
    const rows: Row[] = [
      {
        what: `Edge: ${fmt.int(streams)} open idle streams (${fmt.int(streams)} people, ${PORTALS} portals) for ${idleMs / 1000} s: D1 statements`,
        product: idleLine(idle),
        baseline: idleLine(idleBase),
        ratio: fmt.x(idle.idleStatements / Math.max(1, idleBase.idleStatements)),
        target: "≤ a handful (≤ 10)",
        met: idle.idleStatements <= 10 && idle.open === streams,
      },
      {
        what: `Edge: a status change reaches all ${fmt.int(streams)} streams (one person): commit → arrival p99`,
        product: fanLine(fan),
        baseline: fanLine(fanBase),
        ratio: fmt.x(fan.p99 / fanBase.p99),
        target: "p99 ≤ 1 s, every one delivered",
        met: fan.p99 <= 1_000 && fan.open === streams && fan.marked === fan.expected,
      },
    ];
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const notes = [
      `Edge streams: wrangler's dry-run bundle in workerd (Miniflare), bindings as wrangler.toml declares them (D1, the PortalStreams objects, the ENGINE queue, R2); D1 wrapped by the probe binding of test/support/d1-probe.ts, which prints a line per statement executed (a batch counts each of its statements); streams as raw sockets from ${CLIENT_PROCESSES} client processes; each measurement on a fresh worker. Idle: ${fmt.int(streams)} people in ${PORTALS} portals, one stream each; statements during ${seconds(idle.idleMs)} (baseline ${seconds(idleBase.idleMs)}) after every response head arrived and a 1 s settle; "connecting" counts from the first connection to the end of the settle. Fan-out: ${fmt.int(streams)} streams of one person (\`MAX_STREAMS_PER_PERSON\` raised, since one person holds them all), then ${plan.changes} of their scheduled actions cancelled through the API ${plan.intervalMs} ms apart; each \`cancelled\` event is timed from the action's \`completedAt\` (the cancel's commit, server clock, same machine) to its arrival on every stream. Baseline: the same worker without the STREAMS binding: each stream reads the log every STREAM_POLL_INTERVAL (1 s), as fast as the local D1 answers (one query at a time, like D1), so its counts stop short of one per stream per second under this load, and some of its streams get their response head only after the clients' 10 s wait ("open in time").`,
    ];
    return { name: "Edge streams", rows, notes };
  } finally {
    removeFolder(dir);
  }
}
