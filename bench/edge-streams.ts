/**
 * Edge streams at scale, in workerd (Miniflare) with wrangler.toml's bindings: N people in 10 portals,
 * one `GET /v1/events` stream each (raw sockets from two client processes), then
 * - idle: the D1 statements executed while every stream stays open and quiet (counted by the probe
 *   binding around D1: one line per statement);
 * - a status change for each person (a scheduled one-row upload whose file name carries its send time):
 *   the latency from the POST's send to the arrival of its first status event on that person's stream.
 * Product: the portals' stream objects. Baseline: the same worker without the STREAMS binding, whose
 * streams each read the log once a second (the edge before them).
 */
import { join } from "node:path";
import { edgeToken, type RunningEdge, startEdge } from "./lib/edge";
import { LineReader } from "./lib/lines";
import { removeFolder, spawnBun, tempFolder } from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { percentile, sortNumbers } from "./lib/stats";

const PORTALS = 10;
const CLIENT_PROCESSES = 2;
const IN_FLIGHT_POSTS = 16;
const now = () => performance.timeOrigin + performance.now();

interface StreamRun {
  open: number;
  connectStatements: number;
  idleStatements: number;
  idleMs: number;
  marked: number;
  p50: number;
  p99: number;
  max: number;
}

/** A scheduled one-row upload (a status change and nothing for the engine to run). */
async function postScheduled(url: string, token: string, seq: number): Promise<void> {
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("notify", "false");
  form.set("scheduledFor", new Date(Date.now() + 86_400_000).toISOString());
  form.set("file", new File([`email\nx${seq}@example.com\n`], `p-${seq}-${now()}.csv`, { type: "text/csv" }));
  const res = await fetch(`${url}/v1/actions`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 202)
    throw new Error(`upload answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  await res.body?.cancel();
}

async function runStreams(
  running: RunningEdge,
  dir: string,
  label: string,
  people: number,
  idleMs: number,
): Promise<StreamRun> {
  const { edge } = running;
  const tokens = Array.from({ length: people }, (_, i) => edgeToken(`w${i}`, `portal-${i % PORTALS}`));
  const port = Number(new URL(edge.url).port);
  const beforeConnect = running.statements();
  const clients = Array.from({ length: CLIENT_PROCESSES }, (_, c) => {
    const mine = tokens.filter((_, i) => i % CLIENT_PROCESSES === c);
    const out = join(dir, `${label}-${c}.bin`);
    const options = { port, tokens: mine, count: mine.length, out, status: "scheduled" };
    const child = spawnBun(["bench/lib/sse-clients.ts", JSON.stringify(options)], {
      stdout: "pipe",
      stdin: "pipe",
      nofile: 8192,
    });
    return { child, out, lines: new LineReader(child.stdout) };
  });
  try {
    const ready = await Promise.all(clients.map((c) => c.lines.waitFor("ready ", 120_000)));
    const open = ready.reduce((sum, line) => sum + Number(line.split(" ")[1]), 0);
    // The connections' own reads have been answered once every hello is out; then a moment to settle.
    await Bun.sleep(1_000);
    const connectStatements = running.statements() - beforeConnect;
    const idleFrom = running.statements();
    const idleStarted = performance.now();
    await Bun.sleep(idleMs);
    const idleStatements = running.statements() - idleFrom;
    const measuredIdle = performance.now() - idleStarted;

    let next = 0;
    const post = async () => {
      while (next < people) {
        const seq = next++;
        await postScheduled(edge.url, tokens[seq]!, seq);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT_POSTS }, post));
    const deadline = performance.now() + 60_000;
    const got = () => clients.reduce((sum, c) => sum + Number(c.lines.last("got ")?.split(" ")[1] ?? 0), 0);
    while (got() < people && performance.now() < deadline) await Bun.sleep(100);

    const latencies: number[] = [];
    for (const client of clients) {
      client.child.stdin!.write("stop\n");
      await client.lines.waitFor("done ", 30_000);
      latencies.push(...new Float64Array(await Bun.file(client.out).arrayBuffer()));
    }
    const sorted = sortNumbers(latencies);
    return {
      open,
      connectStatements,
      idleStatements,
      idleMs: measuredIdle,
      marked: latencies.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
    };
  } finally {
    for (const client of clients) client.child.kill(9);
  }
}

export async function benchEdgeStreams(quick: boolean): Promise<SectionResult> {
  const people = quick ? 300 : 1_000;
  const idleMs = quick ? 5_000 : 10_000;
  const dir = tempFolder("edge-streams");
  try {
    const measure = async (label: string, without: string[]) => {
      const running = await startEdge({}, { without });
      try {
        return await runStreams(running, dir, label, people, idleMs);
      } finally {
        await running.stop();
      }
    };
    const product = await measure("objects", []);
    const baseline = await measure("polling", ["STREAMS"]);
    const idleSeconds = (run: StreamRun) => (run.idleMs / 1000).toFixed(1);
    const all = (run: StreamRun) => run.open === people && run.marked === people;
    const rows: Row[] = [
      {
        what: `Edge: ${fmt.int(people)} open idle streams (${PORTALS} portals) for ${idleMs / 1000} s: D1 statements`,
        product: `${fmt.int(product.idleStatements)} (${fmt.int(product.open)} open; connecting: ${fmt.int(product.connectStatements)})`,
        baseline: `${fmt.int(baseline.idleStatements)} (${fmt.int(baseline.open)} open; connecting: ${fmt.int(baseline.connectStatements)})`,
        ratio: fmt.x(product.idleStatements / Math.max(1, baseline.idleStatements)),
        target: "≤ a handful (≤ 10)",
        met: product.idleStatements <= 10 && product.open === people,
      },
      {
        what: `Edge: a status change per person reaches their stream (${fmt.int(people)} streams): send → arrival p99`,
        product: `p99 ${fmt.ms(product.p99)} (p50 ${fmt.ms(product.p50)}, max ${fmt.ms(product.max)}; ${fmt.int(product.marked)}/${fmt.int(people)})`,
        baseline: `p99 ${fmt.ms(baseline.p99)} (p50 ${fmt.ms(baseline.p50)}, max ${fmt.ms(baseline.max)}; ${fmt.int(baseline.marked)}/${fmt.int(people)})`,
        ratio: fmt.x(product.p99 / baseline.p99),
        target: "p99 ≤ 1 s, every one delivered",
        met: product.p99 <= 1_000 && all(product),
      },
    ];
    const notes = [
      `Edge streams: wrangler's dry-run bundle in workerd (Miniflare), bindings as wrangler.toml declares them (D1, the PortalStreams objects, the ENGINE queue, R2); D1 wrapped by the probe binding of test/support/d1-probe.ts, which prints a line per statement executed (a batch counts each of its statements). ${fmt.int(people)} people in ${PORTALS} portals, one stream each, as raw sockets from ${CLIENT_PROCESSES} client processes. Idle: statements during ${idleSeconds(product)} s (baseline ${idleSeconds(baseline)} s) after every stream's response head arrived and a 1 s settle; "connecting" counts from the first connection to the end of the settle. Then each person POSTs one scheduled one-row upload (${IN_FLIGHT_POSTS} in flight; its file name carries the send time); the latency is the arrival of its \`scheduled\` status event on that person's stream minus the send time (intake included). Baseline: the same worker without the STREAMS binding: each stream reads the log every STREAM_POLL_INTERVAL (1 s).`,
    ];
    return { name: "Edge streams", rows, notes };
  } finally {
    removeFolder(dir);
  }
}
