/** The edge's own knobs (beyond the contract's variables), read from the Worker's bindings. */
import { parseDuration } from "../lib/duration";
import type { EdgeEnv } from "./types";

export interface EdgeSettings {
  /** Wall time of one engine turn (a queue message) or burst (no queue bound: after a request, or a cron). */
  engineBudgetMs: number;
  /** A burst after a request runs in `waitUntil`, which lasts at most 30 s after the response. */
  kickBudgetMs: number;
  /** Statements one invocation may send before the engine (or a polling stream) stops. */
  queryBudget: number;
  streamMaxDurationMs: number;
  /** How often a polling stream reads the log (where no stream object is bound). */
  streamPollMs: number;
  /** How often a portal's stream object reads the log on its own, for a notification that got lost. */
  streamCatchUpMs: number;
}

/** The textual bindings: vars and secrets (D1, R2 and other bindings are objects). */
export function textBindings(env: EdgeEnv): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") vars[name] = value;
  return vars;
}

function durationOf(env: EdgeEnv, name: string, fallback: string): number {
  const raw = typeof env[name] === "string" && env[name] !== "" ? (env[name] as string) : fallback;
  const ms = parseDuration(raw);
  if (ms === null) throw new Error(`${name} must be a duration such as 1s, 25s or 5m (got ${raw})`);
  return ms;
}

export function edgeSettings(env: EdgeEnv): EdgeSettings {
  const engineBudgetMs = durationOf(env, "ENGINE_BUDGET", "25s");
  const queryBudget = Number(env.ENGINE_QUERY_BUDGET ?? "800");
  if (!Number.isInteger(queryBudget) || queryBudget < 10) {
    throw new Error("ENGINE_QUERY_BUDGET must be a whole number of at least 10");
  }
  // A stream object costs no reads while quiet, so its streams may last; polling streams may not.
  const streamed = Boolean(env.STREAMS);
  // Where the engine runs elsewhere (ROLE=api, Bun workers on a shared libSQL database) nothing notifies
  // the stream objects: their own reads are then the feed.
  const engineElsewhere = env.ROLE === "api";
  return {
    engineBudgetMs,
    kickBudgetMs: Math.min(engineBudgetMs, 25_000),
    queryBudget,
    streamMaxDurationMs: durationOf(env, "STREAM_MAX_DURATION", streamed ? "30m" : "5m"),
    streamPollMs: durationOf(env, "STREAM_POLL_INTERVAL", "1s"),
    streamCatchUpMs: durationOf(env, "STREAM_CATCH_UP", engineElsewhere ? "1s" : "30s"),
  };
}
