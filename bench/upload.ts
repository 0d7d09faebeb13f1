/**
 * 1. User upload: N rows POSTed to a real tracker process (`bun src/main.ts`, fresh database) until the
 * action is final, with the server's peak RSS; beside plain batched INSERTs of the same rows through
 * @libsql/client in another process. Full mode adds a 1,000,000-row upload for its peak RSS.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  freePort,
  logTail,
  procCpuSeconds,
  procMemory,
  removeFolder,
  rssSampler,
  spawnBun,
  spawnTracker,
  stopChild,
  tempFolder,
  waitForHttp,
  within,
} from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { tokenFor, upload, usersCsv, waitFinal } from "./lib/tracker";

interface Measured {
  rowsPerSec: number;
  ms: number;
  peakRss: number;
  /** The server's CPU seconds from the POST to the final status (products only). */
  cpu?: number;
}

const RUNS = 3;

function medianRun(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.rowsPerSec - b.rowsPerSec)[Math.floor(runs.length / 2)]!;
}

const maxRss = (runs: Measured[]) => Math.max(...runs.map((m) => m.peakRss));
const medianCpu = (runs: Measured[]) =>
  [...runs.map((m) => m.cpu ?? 0)].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;

async function baselineInsert(dir: string, csvPath: string, tag: string): Promise<Measured> {
  const child = spawnBun(["bench/lib/baseline-insert.ts", csvPath, join(dir, `baseline-${tag}.db`)], {
    stdout: "pipe",
  });
  const out = await within("baseline inserts", 180_000, new Response(child.stdout).text());
  await child.exited;
  if (child.exitCode !== 0) throw new Error(`baseline insert failed (exit ${child.exitCode})`);
  const result = JSON.parse(out.trim().split("\n").pop()!) as { rows: number; ms: number; peakRss: number };
  return { rowsPerSec: (result.rows / result.ms) * 1000, ms: result.ms, peakRss: result.peakRss };
}

async function productUpload(
  dir: string,
  tag: string,
  csv: string,
  n: number,
  expect: { errors: number; warnings: number },
  timeoutMs: number,
  env: Record<string, string> = {},
  fields: Record<string, string> = {},
): Promise<Measured> {
  const port = freePort();
  const log = join(dir, `tracker-${tag}.log`);
  const server = spawnTracker(`file:${join(dir, `tracker-${tag}.db`)}`, port, log, env);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`, 20_000, 25, server);
    const token = tokenFor("uploader");
    const sampler = rssSampler(server.pid);
    const cpuBefore = procCpuSeconds(server.pid);
    const started = performance.now();
    const accepted = await upload(base, token, csv, `users-${n}.csv`, false, fields);
    const done = await waitFinal(base, token, accepted.referenceId, timeoutMs, 50);
    const ms = performance.now() - started;
    const cpu = procCpuSeconds(server.pid) - cpuBefore;
    const peakRss = sampler.stop();
    const p = done.progress;
    if (
      done.status !== "completed_with_errors" ||
      p.processed !== n ||
      p.errors !== expect.errors ||
      p.warnings !== expect.warnings
    ) {
      throw new Error(
        `upload ended ${done.status} (${done.failureReason ?? ""}) with ${JSON.stringify(p)}, expected ${n} rows, ${expect.errors} errors, ${expect.warnings} warnings`,
      );
    }
    return {
      rowsPerSec: (n / ms) * 1000,
      ms,
      peakRss: Math.max(peakRss, procMemory(server.pid, "VmHWM")),
      cpu,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- tracker log ---\n${logTail(log)}`);
  } finally {
    await stopChild(server);
  }
}

export async function benchUpload(quick: boolean): Promise<SectionResult> {
  const dir = tempFolder("upload");
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const n = 100_000;
    const data = usersCsv(n);
    const csvPath = join(dir, "users.csv");
    writeFileSync(csvPath, data.csv);
    // Runs of a second or two: the median of three, baseline and product taking turns.
    const baselines: Measured[] = [];
    const products: Measured[] = [];
    const dryRuns: Measured[] = [];
    for (let run = 0; run < RUNS; run++) {
      baselines.push(await baselineInsert(dir, csvPath, String(run)));
      products.push(await productUpload(dir, String(run), data.csv, n, data, 120_000));
      dryRuns.push(
        await productUpload(dir, `dry-${run}`, data.csv, n, data, 120_000, {}, { dryRun: "true" }),
      );
    }
    const baseline = medianRun(baselines);
    const product = medianRun(products);
    const dryRun = medianRun(dryRuns);
    const ratio = product.rowsPerSec / baseline.rowsPerSec;
    rows.push(
      {
        what: "User upload 100k rows, POST → final: rows/s",
        product: `${fmt.int(product.rowsPerSec)} (${(product.ms / 1000).toFixed(1)} s)`,
        baseline: `${fmt.int(baseline.rowsPerSec)} (${(baseline.ms / 1000).toFixed(1)} s)`,
        ratio: fmt.pct(ratio),
        target: "≥ 25% (issue 3), ≥ 45% (issue 8)",
        met: ratio >= 0.45,
      },
      {
        what: "User upload 100k rows: server peak RSS",
        product: fmt.mb(maxRss(products)),
        baseline: fmt.mb(maxRss(baselines)),
        ratio: fmt.x(maxRss(products) / maxRss(baselines)),
        target: "< 250 MB (issue 3), ≤ 200 MB (issue 8)",
        met: maxRss(products) <= 200 * 1024 * 1024,
      },
      {
        what: "User upload 100k rows, dry run: server CPU seconds",
        product: `${medianCpu(dryRuns).toFixed(2)} s (${fmt.int(dryRun.rowsPerSec)} rows/s, ${fmt.mb(maxRss(dryRuns))})`,
        baseline: `the real run: ${medianCpu(products).toFixed(2)} s (${fmt.int(product.rowsPerSec)} rows/s, ${fmt.mb(maxRss(products))})`,
        ratio: fmt.pct(medianCpu(dryRuns) / medianCpu(products)),
        target: "no more than the real run (issue 16)",
        // CPU time, not wall time: a dry run does the real run's judging without its writes.
        met: medianCpu(dryRuns) <= medianCpu(products) && maxRss(dryRuns) <= 200 * 1024 * 1024,
      },
    );
    notes.push(
      `Upload: ${fmt.int(n)} rows (${(data.csv.length / 1024 / 1024).toFixed(1)} MB CSV; ${fmt.int(data.errors)} Error rows, ${fmt.int(data.warnings)} Warning rows, three groups), one multipart POST to a fresh server and database, then GET polls every 50 ms until final; the time runs from the POST to the poll that sees the final status; rows/s is the median of ${RUNS} runs (product ${products.map((m) => fmt.int(m.rowsPerSec)).join(", ")}; baseline ${baselines.map((m) => fmt.int(m.rowsPerSec)).join(", ")}; dry run ${dryRuns.map((m) => fmt.int(m.rowsPerSec)).join(", ")}). The dry run (dryRun=true, the same file, a fresh server each time) is compared with the real run by the server's CPU seconds from the POST to the final status (utime + stime, the median of ${RUNS}), steadier than wall time on a shared machine. Peak RSS is the highest of the runs: the server's VmRSS sampled every 50 ms and its VmHWM. Baseline: the same CSV read, split and inserted in multi-row INSERTs of 500 rows (autocommit each, driver defaults) into a users table with the same unique (portal, email) index; its RSS is the baseline process's VmHWM.`,
    );
    if (ratio >= 0.25 && ratio < 0.45) notes.push("Upload rows/s meets issue 3's 25% but not issue 8's 45%.");

    if (!quick) {
      const big = 1_000_000;
      const bigData = usersCsv(big, "m");
      const bytes = String(256 * 1024 * 1024);
      const product1m = await productUpload(dir, "1m", bigData.csv, big, bigData, 240_000, {
        MAX_FILE_BYTES: bytes,
        MAX_UPLOAD_BYTES: bytes,
      });
      rows.push({
        what: "User upload 1M rows: server peak RSS",
        product: `${fmt.mb(product1m.peakRss)} (${fmt.int(product1m.rowsPerSec)} rows/s, ${(product1m.ms / 1000).toFixed(0)} s)`,
        baseline: "—",
        ratio: "—",
        target: "≤ 250 MB",
        met: product1m.peakRss <= 250 * 1024 * 1024,
      });
      notes.push(
        `1M upload: ${(bigData.csv.length / 1024 / 1024).toFixed(0)} MB CSV, server run with MAX_FILE_BYTES and MAX_UPLOAD_BYTES raised to 256 MiB (the defaults refuse a file this size).`,
      );
    }
  } finally {
    removeFolder(dir);
  }
  return { name: "upload", rows, notes };
}
