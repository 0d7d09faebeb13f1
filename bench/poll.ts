/**
 * 2. Poll one action by reference: `GET /v1/actions/:ref` with a bearer JWT at 64 connections, and the
 * `304` path (If-None-Match with the current ETag), on a real tracker process; beside bare Hono on Bun
 * answering a small JSON in its own process. Load comes from a separate process (wrk or autocannon).
 */
import { join } from "node:path";
import { type LoadResult, runLoad } from "./lib/load";
import {
  freePort,
  logTail,
  removeFolder,
  spawnBun,
  spawnTracker,
  stopChild,
  tempFolder,
  waitForHttp,
} from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { tokenFor, upload, usersCsv, waitFinal } from "./lib/tracker";

const CONNECTIONS = 64;
const ROUNDS = 3;

export async function benchPoll(quick: boolean): Promise<SectionResult> {
  const dir = tempFolder("poll");
  const durationSec = quick ? 3 : 6;
  const warmSec = quick ? 1 : 2;
  const port = freePort();
  const barePort = freePort();
  const log = join(dir, "tracker.log");
  const server = spawnTracker(`file:${join(dir, "tracker.db")}`, port, log);
  const bare = spawnBun(["bench/lib/bare-hono.ts"], { env: { PORT: String(barePort) } });
  const base = `http://127.0.0.1:${port}`;
  const bareUrl = `http://127.0.0.1:${barePort}/json`;
  try {
    await waitForHttp(`${base}/healthz`, 20_000, 25, server);
    await waitForHttp(bareUrl, 20_000, 25, bare);
    const token = tokenFor("poller");
    const accepted = await upload(base, token, usersCsv(10).csv, "ten.csv");
    await waitFinal(base, token, accepted.referenceId, 30_000);
    const url = `${base}/v1/actions/${accepted.referenceId}`;
    const auth = { authorization: `Bearer ${token}` };
    const first = await fetch(url, { headers: auth });
    const etag = first.headers.get("etag");
    const body = await first.text();
    if (first.status !== 200 || !etag) throw new Error(`poll answered ${first.status} without an ETag`);
    const again = await fetch(url, { headers: { ...auth, "if-none-match": etag } });
    if (again.status !== 304) throw new Error(`If-None-Match answered ${again.status}, not 304`);

    const targets = [
      { url: bareUrl, headers: {} },
      { url, headers: auth },
      { url, headers: { ...auth, "if-none-match": etag } },
    ];
    // Each target is warmed once, then measured ROUNDS times, the three taking turns so that a slow
    // moment of the machine falls on all of them; the median run of each is reported.
    for (const target of targets)
      await runLoad({ ...target, connections: CONNECTIONS, durationSec: warmSec });
    const runs: LoadResult[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, target] of targets.entries())
        runs[i]!.push(await runLoad({ ...target, connections: CONNECTIONS, durationSec }));
    }
    const median = (results: LoadResult[]) =>
      [...results].sort((a, b) => a.rps - b.rps)[Math.floor(results.length / 2)]!;
    const [baseline, full, notModified] = runs.map(median) as [LoadResult, LoadResult, LoadResult];

    const clean = (r: LoadResult) => r.errors === 0 && r.non2xx === 0;
    const ratio200 = full.rps / baseline.rps;
    const ratio304 = notModified.rps / baseline.rps;
    const cell = (r: LoadResult) =>
      `${fmt.int(r.rps)} req/s, p50 ${fmt.ms(r.p50Ms)}, p99 ${fmt.ms(r.p99Ms)}${clean(r) ? "" : ` (${r.errors} errors, ${r.non2xx} non-2xx/3xx)`}`;
    const rows: Row[] = [
      {
        what: "Poll one action (200, JWT + access check + ETag), 64 conns: req/s",
        product: cell(full),
        baseline: cell(baseline),
        ratio: fmt.pct(ratio200),
        target: "≥ 50% of bare Hono",
        met: clean(full) && ratio200 >= 0.5,
      },
      {
        what: "Poll one action (200): p99 latency",
        product: fmt.ms(full.p99Ms),
        baseline: fmt.ms(baseline.p99Ms),
        ratio: fmt.x(full.p99Ms / baseline.p99Ms),
        target: "≤ 10 ms",
        met: clean(full) && full.p99Ms <= 10,
      },
      {
        what: "Poll one action, If-None-Match → 304: req/s",
        product: cell(notModified),
        baseline: cell(baseline),
        ratio: fmt.pct(ratio304),
        target: "≥ 60% of bare Hono",
        met: clean(notModified) && ratio304 >= 0.6,
      },
    ];
    const notes = [
      `Poll: ${CONNECTIONS} connections, ${ROUNDS} runs of ${durationSec} s for each of bare Hono, the 200 and the 304 taking turns after a ${warmSec} s warm-up each, the median run reported (req/s of the runs: bare ${runs[0]!.map((r) => fmt.int(r.rps)).join(", ")}; 200 ${runs[1]!.map((r) => fmt.int(r.rps)).join(", ")}; 304 ${runs[2]!.map((r) => fmt.int(r.rps)).join(", ")}); load from a separate process on 127.0.0.1; the tracker runs as \`bun src/main.ts\` (ROLE=all, its clocks running) on a fresh database holding one finished 10-row upload; the polled answer is ${body.length} bytes. Baseline: \`Bun.serve({ fetch: new Hono().get(…).fetch })\` answering a ${JSON.stringify({ referenceId: "BA-7K3Q9X2M", status: "in_progress", version: 7 }).length}-byte JSON, in its own process.`,
    ];
    return { name: "poll", rows, notes };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- tracker log ---\n${logTail(log)}`);
  } finally {
    await stopChild(server);
    await stopChild(bare);
    removeFolder(dir);
  }
}
