/**
 * 4. Cross-process events: a `ROLE=worker` process runs small actions; their status changes are read
 * from another process's stream (`ROLE=api`), both on one database file. Latency: the arrival of the
 * event on the stream minus the moment the worker recorded the change (`startedAt` of `in_progress`,
 * `completedAt` of the final status; same machine clock).
 */
import { join } from "node:path";
import {
  freePort,
  logTail,
  removeFolder,
  spawnTracker,
  stopChild,
  tempFolder,
  waitForHttp,
} from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { openStream } from "./lib/sse-reader";
import { percentile } from "./lib/stats";
import { FINAL, tokenFor, upload } from "./lib/tracker";

interface EventView {
  referenceId: string;
  status: string;
  startedAt: string | null;
  completedAt: string | null;
}

export async function benchCrossProcess(quick: boolean): Promise<SectionResult> {
  const actions = quick ? 50 : 200;
  const spacingMs = 20;
  const dir = tempFolder("cross");
  const databaseUrl = `file:${join(dir, "tracker.db")}`;
  const port = freePort();
  const apiLog = join(dir, "api.log");
  const workerLog = join(dir, "worker.log");
  // One person starts every action here, faster than the default per-person rate limit (60 a minute).
  const api = spawnTracker(databaseUrl, port, apiLog, { ROLE: "api", RATE_LIMIT_ACTIONS: "100000" });
  const base = `http://127.0.0.1:${port}`;
  let worker: ReturnType<typeof spawnTracker> | null = null;
  try {
    await waitForHttp(`${base}/healthz`, 20_000, 25, api);
    worker = spawnTracker(databaseUrl, freePort(), workerLog, { ROLE: "worker" });
    const token = tokenFor("crosser");
    const latencies: number[] = [];
    const finals = new Set<string>();
    const seen = new Set<string>();
    const stream = await openStream(`${base}/v1/events`, { authorization: `Bearer ${token}` }, (frame) => {
      if (frame.event !== "action.status") return;
      const view = JSON.parse(frame.data) as EventView;
      const key = `${view.referenceId}/${view.status}`;
      if (seen.has(key)) return;
      seen.add(key);
      const when =
        view.status === "in_progress" ? view.startedAt : FINAL.has(view.status) ? view.completedAt : null;
      if (when) latencies.push(frame.at - Date.parse(when));
      if (FINAL.has(view.status)) finals.add(view.referenceId);
    });
    const csv = "email,first_name,last_name\nada@example.com,Ada,Lovelace\n";
    for (let i = 0; i < actions; i++) {
      await upload(base, token, csv, `cross-${i}.csv`);
      await Bun.sleep(spacingMs);
    }
    const deadline = performance.now() + 30_000;
    while (finals.size < actions && performance.now() < deadline) await Bun.sleep(50);
    stream.close();
    const sorted = latencies.sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    const complete = finals.size === actions;
    const rows: Row[] = [
      {
        what: "Event written by a worker process, seen on an api process's stream: p99",
        product: `p99 ${fmt.ms(p99)} (p50 ${fmt.ms(percentile(sorted, 50))}, max ${fmt.ms(sorted[sorted.length - 1] ?? Number.NaN)}; ${sorted.length} events${complete ? "" : `, only ${finals.size}/${actions} actions ended`})`,
        baseline: "—",
        ratio: "—",
        target: "p99 ≤ 250 ms",
        met: complete && p99 <= 250,
      },
    ];
    const notes = [
      `Cross-process: one \`ROLE=api\` and one \`ROLE=worker\` process on one database file; ${actions} one-row uploads POSTed to the api ${spacingMs} ms apart by one person (\`RATE_LIMIT_ACTIONS\` raised on the api for it); each \`in_progress\` and final status event written by the worker is timed from its \`startedAt\`/\`completedAt\` (the worker's clock, millisecond resolution) to its arrival on the api's stream (read in the bench process).`,
    ];
    return { name: "cross", rows, notes };
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- api log ---\n${logTail(apiLog)}\n--- worker log ---\n${logTail(workerLog)}`,
    );
  } finally {
    if (worker) await stopChild(worker);
    await stopChild(api);
    removeFolder(dir);
  }
}
