/**
 * HTTP load from a separate process on 127.0.0.1: Debian's `wrk` when installed (C, one thread leaves
 * the other core to the server), else autocannon's programmatic API in a child process.
 * BENCH_LOAD=autocannon forces the fallback.
 */
import { spawnBun, within } from "./procs";

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Answers that were not 2xx or 3xx. */
  non2xx: number;
}

let wrkPath: string | null | undefined;
function wrk(): string | null {
  if (wrkPath === undefined) {
    wrkPath = process.env.BENCH_LOAD === "autocannon" ? null : Bun.which("wrk");
  }
  return wrkPath;
}

export function loadToolName(): string {
  return wrk() ? "wrk (1 thread)" : "autocannon (child process)";
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const path = wrk();
  return path ? runWrk(path, options) : runAutocannon(options);
}

const toMs = (value: string, unit: string) =>
  Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 1);

async function runWrk(path: string, o: LoadOptions): Promise<LoadResult> {
  const args = [path, "-t1", `-c${o.connections}`, `-d${o.durationSec}s`, "--latency", "--timeout", "5s"];
  for (const [name, value] of Object.entries(o.headers)) args.push("-H", `${name}: ${value}`);
  args.push(o.url);
  const child = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const out = await within("wrk", (o.durationSec + 15) * 1000, new Response(child.stdout).text());
  await child.exited;
  if (child.exitCode !== 0) throw new Error(`wrk failed: ${out}`);
  const latency = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

async function runAutocannon(o: LoadOptions): Promise<LoadResult> {
  const child = spawnBun(["bench/lib/autocannon-child.ts", JSON.stringify(o)], { stdout: "pipe" });
  const out = await within("autocannon", (o.durationSec + 20) * 1000, new Response(child.stdout).text());
  await child.exited;
  if (child.exitCode !== 0) throw new Error(`autocannon failed (exit ${child.exitCode})`);
  return JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
}
