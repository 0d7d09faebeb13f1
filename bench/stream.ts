/**
 * 3. Live stream fan-out in one process: N subscribers on `GET /v1/events` of one person, on a real
 * tracker process (`bun src/main.ts`), then actions started through the API at a steady pace; each
 * action's first event (`not_started`) is timed from the POST to its arrival on every subscriber, and the
 * server's RSS growth is divided by N. Baseline: Hono's `streamSSE` fan-out of the same frames to the
 * same number of subscribers in a minimal server. Subscribers are raw sockets in two client processes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LineReader } from "./lib/lines";
import {
  freePort,
  logTail,
  openFilesLimits,
  procMemory,
  removeFolder,
  rssSampler,
  spawnBun,
  spawnTracker,
  stopChild,
  tempFolder,
  waitForHttp,
} from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { percentile } from "./lib/stats";
import { type ActionView, tokenFor, upload, waitFinal } from "./lib/tracker";

const CLIENT_PROCESSES = 2;
const now = () => performance.timeOrigin + performance.now();

interface FanOutResult {
  open: number;
  failed: number;
  closedEarly: number;
  marked: number;
  expected: number;
  framesPerSubscriber: number;
  p50: number;
  p99: number;
  max: number;
  perConnIdle: number;
  perConnPeak: number;
}

interface Plan {
  subscribers: number;
  rounds: number;
  intervalMs: number;
  nofile: number;
}

/** Connects the subscribers, publishes `rounds` times, and gathers latencies and memory. */
async function fanOut(
  dir: string,
  label: string,
  serverPid: number,
  port: number,
  token: string,
  plan: Plan,
  publish: (seq: number, at: number) => Promise<void>,
): Promise<FanOutResult> {
  const rssBefore = procMemory(serverPid, "VmRSS");
  const clients = Array.from({ length: CLIENT_PROCESSES }, (_, i) => {
    const count =
      Math.floor(plan.subscribers / CLIENT_PROCESSES) + (i < plan.subscribers % CLIENT_PROCESSES ? 1 : 0);
    const out = join(dir, `${label}-latencies-${i}.bin`);
    const child = spawnBun(
      ["bench/lib/sse-clients.ts", JSON.stringify({ port, tokens: [token], count, out })],
      {
        stdout: "pipe",
        stdin: "pipe",
        nofile: plan.nofile,
      },
    );
    return { child, out, lines: new LineReader(child.stdout) };
  });
  try {
    const ready = await Promise.all(clients.map((c) => c.lines.waitFor("ready ", 90_000)));
    const open = ready.reduce((sum, line) => sum + Number(line.split(" ")[1]), 0);
    const failed = ready.reduce((sum, line) => sum + Number(line.split(" ")[2]), 0);
    await Bun.sleep(1_000);
    const rssConnected = procMemory(serverPid, "VmRSS");
    const sampler = rssSampler(serverPid, 25);
    const started = performance.now();
    for (let seq = 0; seq < plan.rounds; seq++) {
      const wait = started + seq * plan.intervalMs - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      await publish(seq, now());
    }
    const expected = open * plan.rounds;
    const got = () => clients.reduce((sum, c) => sum + Number(c.lines.last("got ")?.split(" ")[1] ?? 0), 0);
    const deadline = performance.now() + 20_000;
    while (got() < expected && performance.now() < deadline) await Bun.sleep(50);
    const rssPeak = sampler.stop();
    for (const c of clients) {
      c.child.stdin?.write("stop\n");
      c.child.stdin?.flush();
    }
    const done = await Promise.all(clients.map((c) => c.lines.waitFor("done ", 30_000)));
    const stats = done.map((line) => JSON.parse(line.slice(5)) as { frames: number; closedEarly: number });
    // Copied into a fresh buffer: a Buffer from readFileSync may sit at any offset of a shared pool.
    const samples = clients.flatMap((c) => [...new Float64Array(new Uint8Array(readFileSync(c.out)).buffer)]);
    const sorted = Float64Array.from(samples).sort();
    const frames = stats.reduce((sum, s) => sum + s.frames, 0);
    return {
      open,
      failed,
      closedEarly: stats.reduce((sum, s) => sum + s.closedEarly, 0),
      marked: sorted.length,
      expected,
      framesPerSubscriber: open ? frames / open : 0,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      perConnIdle: open ? (rssConnected - rssBefore) / open : Number.NaN,
      perConnPeak: open ? (rssPeak - rssBefore) / open : Number.NaN,
    };
  } finally {
    for (const c of clients) await stopChild(c.child, 1_000);
  }
}

export async function benchStream(quick: boolean): Promise<SectionResult> {
  const notes: string[] = [];
  const wanted = quick ? 2_000 : 10_000;
  const files = openFilesLimits();
  // The server holds one descriptor per subscriber, each client process half of them, plus some spare.
  const needed = wanted + 256;
  const subscribers = Math.min(wanted, files.hard - 256);
  if (subscribers < wanted)
    notes.push(
      `Fan-out scaled down to ${fmt.int(subscribers)} subscribers: the hard open-files limit is ${files.hard}.`,
    );
  const plan: Plan = {
    subscribers,
    rounds: quick ? 10 : 20,
    intervalMs: quick ? 300 : 500,
    nofile: Math.min(files.hard, Math.max(files.soft, needed)),
  };
  const dir = tempFolder("stream");
  const rows: Row[] = [];
  const token = tokenFor("watcher");
  const tinyCsv = "email,first_name,last_name\nada@example.com,Ada,Lovelace\n";
  try {
    // The product.
    const port = freePort();
    const log = join(dir, "tracker.log");
    // One person holds every subscriber here, so the per-person stream limit (20 by default) is raised.
    const limits = { MAX_STREAMS_PER_PERSON: String(subscribers + 64), RATE_LIMIT_ACTIONS: "100000" };
    const server = spawnTracker(`file:${join(dir, "tracker.db")}`, port, log, limits, plan.nofile);
    const base = `http://127.0.0.1:${port}`;
    let product: FanOutResult;
    let sample: ActionView;
    try {
      await waitForHttp(`${base}/healthz`, 20_000, 25, server);
      const warm = await upload(base, token, tinyCsv, "warm-up.csv");
      sample = await waitFinal(base, token, warm.referenceId, 20_000);
      product = await fanOut(dir, "product", server.pid, port, token, plan, async (seq, at) => {
        await upload(base, token, tinyCsv, `p-${seq}-${at.toFixed(3)}.csv`);
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- tracker log ---\n${logTail(log)}`);
    } finally {
      await stopChild(server);
    }

    // The baseline: the same frames (the product's own action JSON), as many per round as the product sent.
    const barePort = freePort();
    const bare = spawnBun(["bench/lib/sse-baseline.ts"], {
      env: { PORT: String(barePort) },
      nofile: plan.nofile,
    });
    const extraFrames = Math.max(0, Math.round(product.framesPerSubscriber / plan.rounds) - 1);
    let baseline: FanOutResult;
    try {
      const bareBase = `http://127.0.0.1:${barePort}`;
      await waitForHttp(`${bareBase}/healthz`, 20_000, 25, bare);
      const frame = (status: string, fileName: string) => ({
        event: "action.status",
        data: JSON.stringify({ ...sample, status, fileName }),
      });
      const publish = async (seq: number, at: number) => {
        const marker = frame("not_started", `p-${seq}-${at.toFixed(3)}.csv`);
        const rest = Array.from({ length: extraFrames }, () => frame("in_progress", `q-${seq}.csv`));
        const res = await fetch(`${bareBase}/publish`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ frames: [marker, ...rest] }),
        });
        await res.arrayBuffer();
      };
      await publish(-1, now());
      baseline = await fanOut(dir, "baseline", bare.pid, barePort, token, plan, publish);
    } finally {
      await stopChild(bare);
    }

    const describe = (r: FanOutResult) =>
      `${fmt.int(r.open)} open${r.failed ? `, ${r.failed} refused` : ""}${r.closedEarly ? `, ${r.closedEarly} closed early` : ""}; ${fmt.int(r.marked)}/${fmt.int(r.expected)} timed frames${r.marked < r.expected ? " (some missing)" : ""}`;
    const complete = (r: FanOutResult) => r.failed === 0 && r.marked === r.expected && r.closedEarly === 0;
    rows.push(
      {
        what: `Live stream fan-out, ${fmt.int(subscribers)} subscribers, one process: publish → arrival p99`,
        product: `p99 ${fmt.ms(product.p99)} (p50 ${fmt.ms(product.p50)}, max ${fmt.ms(product.max)})`,
        baseline: `p99 ${fmt.ms(baseline.p99)} (p50 ${fmt.ms(baseline.p50)}, max ${fmt.ms(baseline.max)})`,
        ratio: fmt.x(product.p99 / baseline.p99),
        target: "p99 ≤ 200 ms, every event delivered",
        met: complete(product) && product.p99 <= 200,
      },
      {
        what: "Live stream fan-out: server memory per connection",
        product: `${fmt.kb(product.perConnIdle)} connected, ${fmt.kb(product.perConnPeak)} at peak`,
        baseline: `${fmt.kb(baseline.perConnIdle)} connected, ${fmt.kb(baseline.perConnPeak)} at peak`,
        ratio: fmt.x(product.perConnIdle / baseline.perConnIdle),
        target: "≤ 8 KB",
        met: complete(product) && product.perConnIdle <= 8 * 1024,
      },
    );
    notes.push(
      `Fan-out: ${fmt.int(subscribers)} subscribers of one person as raw TCP sockets from ${CLIENT_PROCESSES} client processes (open-files limit ${plan.nofile} for the server and clients); ${plan.rounds} actions started ${plan.intervalMs} ms apart through \`POST /v1/actions\` (a one-row user upload named with its publish time); the server runs with \`MAX_STREAMS_PER_PERSON\` raised to ${fmt.int(subscribers + 64)} and \`RATE_LIMIT_ACTIONS\` raised, since one person holds every stream. The latency of each action's first event is its arrival on each subscriber minus the moment the POST was sent (so it includes the intake and the event log write); each subscriber got ${product.framesPerSubscriber.toFixed(1)} frames in all (${(product.framesPerSubscriber / plan.rounds).toFixed(1)} per action: its status changes). Memory per connection: server VmRSS after every stream is open (and after a 1 s settle) minus VmRSS before, over N; "at peak" uses the highest VmRSS sampled every 25 ms during the fan-out. Product: ${describe(product)}. Baseline (\`streamSSE\` helper, POST /publish writes to every stream; the product's own action JSON as data, ${1 + extraFrames} frames per round like the product): ${describe(baseline)}.`,
    );
  } finally {
    removeFolder(dir);
  }
  return { name: "stream", rows, notes };
}
