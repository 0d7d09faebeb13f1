/**
 * Child processes and temp folders of the benchmark, all registered so that they are cleaned up on every
 * exit path (normal end, error, Ctrl-C). Only processes started here are ever signalled, by their pid.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
export const BUN = resolve(ROOT, "node_modules/.bin/bun");
export const BENCH_SECRET = "bench-secret-0123456789abcdef-0123456789";

const children = new Set<Subprocess>();
const folders = new Set<string>();
/** Other things to stop (a Miniflare instance and its workerd), called without waiting. */
const disposers = new Set<() => Promise<unknown>>();

/** Registers `dispose` to run at cleanup; returns a function that runs it now (and unregisters it). */
export function onCleanup(dispose: () => Promise<unknown>): () => Promise<void> {
  disposers.add(dispose);
  return async () => {
    if (disposers.delete(dispose)) await dispose();
  };
}

export function tempFolder(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), `bench-${prefix}-`));
  folders.add(path);
  return path;
}

export function removeFolder(path: string): void {
  rmSync(path, { recursive: true, force: true });
  folders.delete(path);
}

/** Kills every child still running and removes every temp folder (idempotent, synchronous). */
export function cleanupAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(9);
  }
  children.clear();
  for (const dispose of disposers) dispose().catch(() => {});
  disposers.clear();
  for (const path of folders) rmSync(path, { recursive: true, force: true });
  folders.clear();
}

let hooked = false;
export function installCleanupHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", cleanupAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      cleanupAll();
      process.exit(130);
    });
  }
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** File receiving stdout and stderr (kept for the failure message); ignored when absent. */
  logFile?: string;
  stdin?: "pipe" | "ignore";
  /** "pipe" to read it; otherwise it goes to `logFile` (or nowhere). */
  stdout?: "pipe";
  /** Open-files limit for the child (`ulimit -n` through sh, then exec: the pid stays the child's). */
  nofile?: number;
}

/** Spawns `bun <args>` in the project root, registered for cleanup. */
export function spawnBun(
  args: string[],
  options: SpawnOptions = {},
): Subprocess<"pipe" | "ignore", "pipe", "pipe"> {
  const out = options.stdout === "pipe" ? "pipe" : options.logFile ? Bun.file(options.logFile) : "ignore";
  const command = options.nofile
    ? ["sh", "-c", `ulimit -n ${options.nofile} && exec "$0" "$@"`, BUN, ...args]
    : [BUN, ...args];
  const child = Bun.spawn(command, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdin: options.stdin ?? "ignore",
    stdout: out,
    stderr: options.logFile ? Bun.file(`${options.logFile}.err`) : "inherit",
  });
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child as unknown as Subprocess<"pipe" | "ignore", "pipe", "pipe">;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Subprocess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(15);
  const timer = setTimeout(() => child.kill(9), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago (bound on 127.0.0.1 and released). */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port;
  server.stop(true);
  if (!port) throw new Error("no free port");
  return port;
}

/** Environment of a tracker process on `databaseUrl`, quiet mail, the bench secret. */
export function trackerEnv(databaseUrl: string, port: number, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    AUTH_SECRET: BENCH_SECRET,
    NODE_ENV: "test",
    RESEND_API_KEY: "",
    // One person sends every upload of a bench, some at once.
    MAX_UPLOADS_PER_PERSON: "1000",
    MAX_UPLOADS: "1000",
    ...extra,
  };
}

export function spawnTracker(
  databaseUrl: string,
  port: number,
  logFile: string,
  extra?: Record<string, string>,
  nofile?: number,
) {
  return spawnBun(["src/main.ts"], {
    env: trackerEnv(databaseUrl, port, extra),
    logFile,
    ...(nofile ? { nofile } : {}),
  });
}

/** The soft and hard open-files limits this process passes on to its children. */
export function openFilesLimits(): { soft: number; hard: number } {
  const out = Bun.spawnSync(["sh", "-c", "ulimit -n; ulimit -Hn"]).stdout.toString().trim().split("\n");
  const parse = (text: string | undefined) => (text === "unlimited" ? 1 << 20 : Number(text ?? 1024));
  return { soft: parse(out[0]), hard: parse(out[1]) };
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`; returns the ms waited. */
export async function waitForHttp(url: string, timeoutMs = 20_000, everyMs = 25, child?: Subprocess) {
  const started = performance.now();
  const deadline = started + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${url}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return performance.now() - started;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await Bun.sleep(everyMs);
  }
}

/** Reads a `kB` field (VmRSS, VmHWM) of /proc/<pid>/status, in bytes; 0 when the process is gone. */
export function procMemory(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system) a process has used so far: far steadier than wall time on a machine that
 * others share, so it tells whether one way of doing the work costs more than another.
 */
export function procCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Samples VmRSS every `everyMs` and keeps the highest; stop() returns it (with VmHWM as a floor). */
export function rssSampler(pid: number, everyMs = 50) {
  let peak = procMemory(pid, "VmRSS");
  const timer = setInterval(() => {
    peak = Math.max(peak, procMemory(pid, "VmRSS"));
  }, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peak, procMemory(pid, "VmHWM"), procMemory(pid, "VmRSS"));
    },
  };
}

/** The last lines of a log file, for an error message. */
export function logTail(path: string, lines = 15): string {
  const read = (p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return "";
    }
  };
  return `${read(path)}\n${read(`${path}.err`)}`.trim().split("\n").slice(-lines).join("\n");
}

/** Rejects after `ms` with a message naming `what`. */
export async function within<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
