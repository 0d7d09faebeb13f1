/**
 * 5. Cold start: `bun src/main.ts` on an existing, migrated database, timed from spawn to the first
 * answered `/healthz` (migrations are checked at every start); median of 5. Baseline: bare Hono on Bun.
 */
import { join } from "node:path";
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
import { median } from "./lib/stats";

const RUNS = 5;

async function coldStarts(start: (port: number) => ReturnType<typeof spawnBun>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const port = freePort();
    const started = performance.now();
    const child = start(port);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 15_000, 2, child);
      times.push(performance.now() - started);
    } finally {
      await stopChild(child);
    }
  }
  return times;
}

export async function benchColdStart(): Promise<SectionResult> {
  const dir = tempFolder("cold");
  const databaseUrl = `file:${join(dir, "tracker.db")}`;
  const log = join(dir, "tracker.log");
  try {
    // First start creates and migrates the database; the measured starts find it migrated.
    const port = freePort();
    const first = spawnTracker(databaseUrl, port, log);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 20_000, 25, first);
    await stopChild(first);

    const product = await coldStarts((p) => spawnTracker(databaseUrl, p, log));
    const baseline = await coldStarts((p) =>
      spawnBun(["bench/lib/bare-hono.ts"], { env: { PORT: String(p) } }),
    );
    const productMedian = median(product);
    const baselineMedian = median(baseline);
    const rows: Row[] = [
      {
        what: "Cold start to the first answered /healthz (median of 5)",
        product: fmt.ms(productMedian),
        baseline: fmt.ms(baselineMedian),
        ratio: fmt.x(productMedian / baselineMedian),
        target: "≤ 150 ms",
        met: productMedian <= 150,
      },
    ];
    const notes = [
      `Cold start: from spawning \`bun src/main.ts\` (ROLE=all: migrations checked, event tail, engine and clocks started) on a migrated database to the first 200 of /healthz, polled every 2 ms; runs ${product.map((t) => Math.round(t)).join(", ")} ms. Baseline: a bare Hono app on Bun.serve, runs ${baseline.map((t) => Math.round(t)).join(", ")} ms.`,
    ];
    return { name: "cold", rows, notes };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- tracker log ---\n${logTail(log)}`);
  } finally {
    removeFolder(dir);
  }
}
