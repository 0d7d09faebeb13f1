/**
 * The edge deployment for the benchmarks: wrangler's dry-run bundle run by Miniflare in workerd with
 * the bindings wrangler.toml declares (as the edge tests run it), D1 behind the probe binding that
 * prints one line per statement, and the worker's log kept for counting.
 */
import { probeLines } from "../../test/support/d1-probe";
import {
  type Bundle,
  buildWorker,
  type EdgeOptions,
  type EdgeWorker,
  startEdgeWorker,
} from "../../test/support/miniflare";
import { BENCH_SECRET, onCleanup } from "./procs";

export type { EdgeWorker };

let bundle: Promise<Bundle> | null = null;

/** One wrangler build for the edge sections, removed at cleanup (after each section: the next builds anew). */
export function edgeBundle(): Promise<Bundle> {
  bundle ??= buildWorker().then((built) => {
    onCleanup(async () => {
      bundle = null;
      built.cleanup();
    });
    return built;
  });
  return bundle;
}

export interface RunningEdge {
  edge: EdgeWorker;
  stop(): Promise<void>;
  /** D1 statements executed since the worker started (the probe's lines). */
  statements(): number;
  /** Waits until no statement ran for `quietMs` (queued engine turns drained), at most `timeoutMs`. */
  quiesce(quietMs?: number, timeoutMs?: number): Promise<void>;
}

export async function startEdge(
  bindings: Record<string, string>,
  options: EdgeOptions = {},
): Promise<RunningEdge> {
  const edge = await startEdgeWorker(
    await edgeBundle(),
    { AUTH_SECRET: BENCH_SECRET, RATE_LIMIT_ACTIONS: "1000000", ...bindings },
    { ...options, probe: { log: true, ...options.probe } },
  );
  const statements = () => probeLines(edge.logs).length;
  return {
    edge,
    stop: onCleanup(() => edge.stop()),
    statements,
    async quiesce(quietMs = 1_000, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      for (let seen = -1; seen !== statements() && performance.now() < deadline; ) {
        seen = statements();
        await Bun.sleep(quietMs);
      }
    },
  };
}

/** Log lines of the worker that contain every one of `parts`. */
export const linesWith = (edge: EdgeWorker, ...parts: string[]) =>
  edge.logs.filter((line) => parts.every((part) => line.includes(part)));
