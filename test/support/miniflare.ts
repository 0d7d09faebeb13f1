/**
 * The worker as Cloudflare would run it, inside `bun test`, offline: the bundle that
 * `wrangler deploy --dry-run` builds, run by Miniflare in workerd with the bindings wrangler.toml
 * declares (D1 migrated from migrations/ in journal order, the stream objects, the engine queue with
 * its consumer settings, R2) and its compatibility date, flags and vars, overridden by the test's.
 */

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare, type MiniflareOptions, type WorkerOptions } from "miniflare";
import { checkedRequest } from "./contract";
import { PROBE_MODULE, PROBE_WORKER, PROBED_BINDING, type ProbeOptions } from "./d1-probe";
import { tempDir } from "./env";

const ROOT = resolve(import.meta.dir, "../..");

interface WranglerToml {
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  d1_databases?: { binding: string; database_name: string; migrations_dir?: string }[];
  durable_objects?: { bindings: { name: string; class_name: string }[] };
  migrations?: { new_sqlite_classes?: string[] }[];
  queues?: {
    producers?: { binding: string; queue: string }[];
    consumers?: {
      queue: string;
      max_batch_size?: number;
      max_batch_timeout?: number;
      max_retries?: number;
      retry_delay?: number;
      dead_letter_queue?: string;
    }[];
  };
  r2_buckets?: { binding: string; bucket_name: string }[];
}

export const wranglerToml = (): WranglerToml =>
  Bun.TOML.parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) as WranglerToml;

/** wrangler with no account, no network and no telemetry. */
export const offlineEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  delete env.CLOUDFLARE_API_TOKEN;
  return {
    ...env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
  };
};

export interface Bundle {
  /** The built worker module. */
  script: string;
  bytes: number;
  /** What wrangler printed, e.g. "Total Upload: 1088.73 KiB / gzip: 249.33 KiB". */
  sizeLine: string;
  cleanup(): void;
}

/** Runs `wrangler deploy --dry-run --outdir <temp>`, exactly as a deployment would build. */
export async function buildWorker(): Promise<Bundle> {
  const out = tempDir("tracker-edge-build-");
  const proc = Bun.spawn(
    [join(ROOT, "node_modules/.bin/wrangler"), "deploy", "--dry-run", "--outdir", out.path],
    { cwd: ROOT, env: offlineEnv(), stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`wrangler build failed (${code}):\n${stdout}\n${stderr}`);
  const script = join(out.path, "worker.js");
  return {
    script,
    bytes: Bun.file(script).size,
    sizeLine: /Total Upload:[^\n]*/.exec(stdout)?.[0] ?? "",
    cleanup: out.cleanup,
  };
}

let shared: Promise<Bundle> | null = null;

/**
 * One build for every edge test file of the run (`bun test` runs them in one process): wrangler's
 * bundling takes seconds. The folder goes when the process exits; `cleanup()` on it does nothing.
 */
export function sharedWorkerBundle(): Promise<Bundle> {
  shared ??= buildWorker().then((bundle) => {
    process.once("exit", bundle.cleanup);
    return { ...bundle, cleanup: () => {} };
  });
  return shared;
}

/** The migrations' statements, in journal order, split at drizzle-kit's breakpoints. */
export function migrationStatements(dir = join(ROOT, "migrations")): string[] {
  const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .flatMap((entry) => readFileSync(join(dir, `${entry.tag}.sql`), "utf8").split("--> statement-breakpoint"))
    .map((statement) => statement.trim())
    .filter(Boolean);
}

export interface EdgeWorker {
  mf: Miniflare;
  /** The worker's address (the same after `restart()`). */
  url: string;
  /** Every line the worker (and workerd) printed so far. */
  logs: string[];
  /** fetch against the worker's own HTTP address (real sockets, real streaming). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Fires the Cron Trigger and waits for the invocation, `waitUntil` included. */
  scheduled(scheduledTime?: number): Promise<void>;
  /** The database itself (under the probe, when there is one). */
  d1(): ReturnType<Miniflare["getD1Database"]>;
  /**
   * Stops workerd and starts it again with the same configuration, as a deployment does: every
   * connection, object and queued message in memory is gone; what was persisted (`persistTo`) is kept.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  /** Object bindings of wrangler.toml to leave out (BLOBS, STREAMS, ENGINE), to run without them. */
  without?: string[];
  /** Keep D1, Durable Object and R2 data in this folder (what survives `restart()`). */
  persistTo?: string;
  /** Put DB behind the probe of test/support/d1-probe.ts. */
  probe?: ProbeOptions;
}

/** Miniflare's options for the worker: wrangler.toml's bindings, less those left out. */
function workerOptions(
  bundle: Pick<Bundle, "script">,
  bindings: Record<string, string>,
  options: EdgeOptions,
) {
  const toml = wranglerToml();
  const keep = (name: string) => !options.without?.includes(name);
  const database = toml.d1_databases?.[0]?.database_name ?? "tracker";
  const objects = (toml.durable_objects?.bindings ?? []).filter((b) => keep(b.name));
  const sqlite = new Set(toml.migrations?.flatMap((m) => m.new_sqlite_classes ?? []));
  const producers = (toml.queues?.producers ?? []).filter((p) => keep(p.binding));
  const consumers = producers.length > 0 ? (toml.queues?.consumers ?? []) : [];
  const worker: WorkerOptions = {
    name: "tracker",
    // The bundle is one module. Listing it (rather than `scriptPath`) skips Miniflare's import scan,
    // which rejects optional dynamic imports of packages that a bundle never loads.
    modules: [{ type: "ESModule", path: "worker.js", contents: readFileSync(bundle.script, "utf8") }],
    compatibilityDate: toml.compatibility_date,
    compatibilityFlags: toml.compatibility_flags ?? [],
    bindings: { ...toml.vars, ...bindings },
    durableObjects: Object.fromEntries(
      objects.map((b) => [b.name, { className: b.class_name, useSQLite: sqlite.has(b.class_name) }]),
    ),
    queueProducers: Object.fromEntries(producers.map((p) => [p.binding, { queueName: p.queue }])),
    queueConsumers: Object.fromEntries(
      consumers.map((c) => [
        c.queue,
        {
          maxBatchSize: c.max_batch_size,
          maxBatchTimeout: c.max_batch_timeout,
          maxRetries: c.max_retries,
          retryDelay: c.retry_delay,
          deadLetterQueue: c.dead_letter_queue,
        },
      ]),
    ),
    r2Buckets: Object.fromEntries(
      (toml.r2_buckets ?? []).filter((b) => keep(b.binding)).map((b) => [b.binding, b.bucket_name]),
    ),
  };
  if (!options.probe) return [{ ...worker, d1Databases: { DB: database } }];
  const { log = false, failSliceCommit = 0 } = options.probe;
  return [
    {
      ...worker,
      wrappedBindings: {
        DB: { scriptName: PROBE_WORKER, bindings: { LOG: log, FAIL_SLICE_COMMIT: failSliceCommit } },
      },
    },
    {
      name: PROBE_WORKER,
      modules: [{ type: "ESModule", path: "probe.js", contents: PROBE_MODULE }],
      d1Databases: { [PROBED_BINDING]: database },
    },
  ] satisfies WorkerOptions[];
}

export async function startEdgeWorker(
  bundle: Pick<Bundle, "script">,
  bindings: Record<string, string>,
  options: EdgeOptions = {},
): Promise<EdgeWorker> {
  const logs: string[] = [];
  const shared: MiniflareOptions = {
    workers: workerOptions(bundle, bindings, options),
    verbose: false,
    ...(options.persistTo ? { defaultPersistRoot: options.persistTo } : {}),
    // Exposes /cdn-cgi/handler/scheduled, the Cron Trigger over HTTP (see `scheduled` below).
    unsafeTriggerHandlers: true,
    // The worker's log lines are kept for assertions (and echoed with EDGE_TEST_LOG=1).
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      for (const stream of [stdout, stderr]) {
        let pending = "";
        stream.on("data", (chunk: Buffer) => {
          const lines = (pending + chunk.toString("utf8")).split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines.filter(Boolean)) {
            logs.push(line);
            if (process.env.EDGE_TEST_LOG) console.log(line);
          }
        });
      }
    },
  };
  const mf = new Miniflare(shared);
  const ready = await mf.ready;
  const url = ready.toString().replace(/\/$/, "");
  const d1 = () => (options.probe ? mf.getD1Database(PROBED_BINDING, PROBE_WORKER) : mf.getD1Database("DB"));
  const database = await d1();
  for (const statement of migrationStatements()) await database.prepare(statement).run();
  return {
    mf,
    url,
    logs,
    // Answers from workerd are held against the OpenAPI document too (contract.ts).
    request: checkedRequest((path, init) => fetch(`${url}${path}`, init)),
    async scheduled(scheduledTime = Date.now()) {
      // The HTTP trigger (what `wrangler dev --test-scheduled` uses) calls the same `scheduled()` and
      // answers once it and its `waitUntil` are done. `mf.getWorker().scheduled()` does too, but its
      // proxy connection was seen to reset when the call overlapped a long invocation.
      const query = `cron=${encodeURIComponent("* * * * *")}&time=${scheduledTime}`;
      const res = await fetch(`${url}/cdn-cgi/handler/scheduled?${query}`);
      const outcome = await res.text();
      if (res.status !== 200 || outcome !== "ok") throw new Error(`scheduled() ended with ${outcome}`);
    },
    d1,
    async restart() {
      if (!options.persistTo) throw new Error("restart() keeps data only with persistTo");
      await mf.setOptions({ ...shared, port: Number(ready.port) });
      await mf.ready;
    },
    stop: () => mf.dispose(),
  };
}
