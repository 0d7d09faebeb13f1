/** The engine's settings from the configuration, shared by the Bun process and the edge. */
import type { ActionRow } from "../actions/repository";
import type { Config } from "../config";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import { handlers } from "./handlers";
import type { EngineObserver } from "./run-action";
import type { RunnerOptions } from "./runner";

/** A lease that died this many times ends the action as `timeout` (a worker keeps crashing on it). */
export const MAX_LEASE_ATTEMPTS = 5;

export interface RunnerParts {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  workerId: string;
  log: (line: Record<string, unknown>) => void;
  /** Chunks (500 items) per slice: fewer at the edge, where each query counts. */
  chunksPerRead: number;
  idlePollMs: number;
  onCommit?: (action: ActionRow) => void;
  observe?: EngineObserver;
}

export function runnerOptions(config: Config, parts: RunnerParts): RunnerOptions {
  return {
    ...parts,
    handlers,
    leaseMs: config.workerLeaseMs,
    publishEveryMs: 1_000,
    publicUrl: config.publicUrl,
    reportRetentionMs: config.reportRetentionMs,
    actionTimeoutMs: config.actionTimeoutMs,
    settings: config,
    concurrency: config.workerConcurrency,
    portalConcurrency: config.portalConcurrency,
    maxAttempts: MAX_LEASE_ATTEMPTS,
  };
}
