/**
 * The worker as Cloudflare would run it, inside `bun test`, offline: the bundle that
 * `wrangler deploy --dry-run` builds, run by Miniflare in workerd, with an in-memory D1 database
 * migrated from migrations/ (drizzle-kit's SQL, in journal order) and wrangler.toml's own
 * compatibility date, flags and vars, overridden by the test's bindings.
 */

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { checkedRequest } from "./contract";
import { tempDir } from "./env";

const ROOT = resolve(import.meta.dir, "../..");

interface WranglerToml {
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  d1_databases?: { binding: string; migrations_dir?: string }[];
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
  url: string;
  /** Every line the worker (and workerd) printed so far. */
  logs: string[];
  /** fetch against the worker's own HTTP address (real sockets, real streaming). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Fires the Cron Trigger and waits for the invocation, `waitUntil` included. */
  scheduled(scheduledTime?: number): Promise<void>;
  d1(): ReturnType<Miniflare["getD1Database"]>;
  stop(): Promise<void>;
}

export async function startEdgeWorker(
  bundle: Pick<Bundle, "script">,
  bindings: Record<string, string>,
): Promise<EdgeWorker> {
  const toml = wranglerToml();
  const logs: string[] = [];
  const mf = new Miniflare({
    // The bundle is one module. Listing it (rather than `scriptPath`) skips Miniflare's import scan,
    // which rejects optional dynamic imports of packages that a bundle never loads.
    modules: [{ type: "ESModule", path: "worker.js", contents: readFileSync(bundle.script, "utf8") }],
    compatibilityDate: toml.compatibility_date,
    compatibilityFlags: toml.compatibility_flags ?? [],
    bindings: { ...toml.vars, ...bindings },
    d1Databases: { DB: "tracker-edge-test" },
    verbose: false,
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
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const d1 = await mf.getD1Database("DB");
  for (const statement of migrationStatements()) await d1.prepare(statement).run();
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
    d1: () => mf.getD1Database("DB"),
    stop: () => mf.dispose(),
  };
}
