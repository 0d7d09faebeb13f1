/**
 * The reliability suite's harness: real tracker processes (`bun src/main.ts`) on a temp database, a
 * registry that kills every child with SIGKILL even when a test fails, a seeded random source whose seed
 * is printed (replay with RELIABILITY_SEED), RSS readings from /proc, and database checks run from the
 * test process through the product's own driver.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { createDatabase, type Database } from "../../../src/db/client";
import { migrateDatabase } from "../../../src/db/migrate";
import { tempDir } from "../../support/env";
import { trackerEnv } from "../../support/processes";

/** `RELIABILITY_FULL=1`: the full sizes (longer); the default run is bounded for `npm test`. */
export const FULL = process.env.RELIABILITY_FULL === "1";

export const ROOT = resolve(import.meta.dir, "../../..");
export const BUN = resolve(ROOT, "node_modules/.bin/bun");

export const log = (...parts: unknown[]) => console.log("[reliability]", ...parts);

// ---------- seeded randomness ----------

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: RELIABILITY_SEED when given (to replay a failure), else a fresh one, printed. */
export function runSeed(testName: string): number {
  const given = process.env.RELIABILITY_SEED;
  const seed = given ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  log(`${testName}: seed ${seed} (replay: RELIABILITY_SEED=${seed} npm run test:reliability)`);
  return seed;
}

// ---------- processes ----------

export interface Child {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  pid: number;
  role: string;
  /** http://127.0.0.1:port for api and all roles, null for workers. */
  url: string | null;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  output: string[];
  alive(): boolean;
  kill9(): Promise<void>;
  /** Graceful stop (SIGTERM), SIGKILL if it does not exit within `ms`. */
  stop(ms?: number): Promise<void>;
}

/** Every child process and temp folder a test file made: all killed and removed in afterAll, even after a failure. */
export class Cluster {
  readonly children: Child[] = [];
  private readonly temps: { cleanup(): void }[] = [];
  private readonly closers: (() => unknown)[] = [];

  tempDir(prefix = "tracker-reliability-"): string {
    const dir = tempDir(prefix);
    this.temps.push(dir);
    return dir.path;
  }

  /** Something else to close at the end (a database handle, a recorder). */
  onCleanup(close: () => unknown): void {
    this.closers.push(close);
  }

  /**
   * Starts `bun src/main.ts` with `env` (DATABASE_URL, ROLE…). For api and all roles, resolves once it
   * serves, with its URL; a worker resolves once it logged its start.
   */
  async start(env: Record<string, string>, timeoutMs = 20_000): Promise<Child> {
    const role = env.ROLE ?? "all";
    const proc = Bun.spawn([BUN, "src/main.ts"], {
      cwd: ROOT,
      env: trackerEnv({ MAX_STREAMS_PER_PERSON: "100000", PORT: "0", ...env }),
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const output: string[] = [];
    let started: ((url: string | null) => void) | null = null;
    const ready = new Promise<string | null>((resolve) => {
      started = resolve;
    });
    const drain = async (stream: ReadableStream<Uint8Array>, tag: string) => {
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for await (const chunk of stream) {
          buffer += decoder.decode(chunk, { stream: true });
          let nl = buffer.indexOf("\n");
          while (nl >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            output.push(`${tag} ${line.slice(0, 400)}`);
            if (output.length > 60) output.shift();
            if (started && line.includes('"tracker started"')) {
              const match = /"url":"http:\/\/localhost:(\d+)"/.exec(line);
              started(match ? `http://127.0.0.1:${match[1]}` : null);
              started = null;
            }
            nl = buffer.indexOf("\n");
          }
        }
      } catch {
        // the process died: its pipes broke
      }
    };
    void drain(proc.stdout, "out");
    void drain(proc.stderr, "err");
    const child: Child = {
      proc,
      pid: proc.pid,
      role,
      url: null,
      output,
      alive: () => proc.exitCode === null && proc.signalCode === null,
      async kill9() {
        proc.kill(9);
        await proc.exited;
      },
      async stop(ms = 5_000) {
        proc.kill(15);
        const timer = setTimeout(() => proc.kill(9), ms);
        await proc.exited;
        clearTimeout(timer);
      },
    };
    this.children.push(child);
    const timeout = Bun.sleep(timeoutMs).then(() => "timeout" as const);
    const exited = proc.exited.then(() => "exited" as const);
    const first = await Promise.race([ready, timeout, exited]);
    if (first === "timeout" || first === "exited") {
      proc.kill(9);
      throw new Error(`${role} process did not start (${first}):\n${output.join("\n")}`);
    }
    child.url = first;
    return child;
  }

  /** Kills every child (SIGKILL), closes handles and removes the temp folders. */
  async cleanup(): Promise<void> {
    for (const child of this.children) if (child.alive()) child.proc.kill(9);
    await Promise.allSettled(this.children.map((c) => c.proc.exited));
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch {
        // best effort
      }
    }
    for (const temp of this.temps) temp.cleanup();
  }
}

/** A port nobody listens on right now (for an api restarted on the same address). */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** Resident memory of a process, in MiB (from /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

// ---------- database ----------

/** A migrated database file in `dir`, with a connection for the test process's own checks. */
export async function sharedDatabase(cluster: Cluster, dir: string, name = "tracker.db") {
  const url = `file:${dir}/${name}`;
  const database = createDatabase({ url });
  await migrateDatabase(database, url);
  cluster.onCleanup(() => database.close());
  return { url, path: `${dir}/${name}`, database };
}

/** `PRAGMA integrity_check` through the product's driver: "ok" when the file is consistent. */
export async function integrityCheck(database: Database): Promise<string> {
  const result = await database.client.execute("PRAGMA integrity_check");
  return result.rows.map((row) => String(row[0])).join("; ");
}

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs` with `what`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 30_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** Percentile of a sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * True while process `pid` holds SQLite's WAL write lock on the database at `dbPath` (byte 120 of its
 * `-shm` file, as /proc/locks lists it): the process is inside a write transaction right now. Reading
 * /proc/locks takes no lock, so watching a writer this way does not slow it down.
 */
export function holdsWriteLock(pid: number, shmInode: number): boolean {
  const locks = readFileSync("/proc/locks", "utf8");
  const pattern = new RegExp(
    `POSIX\\s+ADVISORY\\s+WRITE\\s+${pid}\\s+[0-9a-f]+:[0-9a-f]+:${shmInode}\\s+120\\s+120`,
  );
  return pattern.test(locks);
}

/** The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows). */
export function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (!lines[i]!.startsWith("TcpExt:")) continue;
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const at = names.indexOf("ListenOverflows");
    return at >= 0 ? Number(values[at]) : 0;
  }
  return 0;
}
