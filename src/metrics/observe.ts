/** One log line and one counter per action status change; slice durations into the histogram. */
import type { ActionRow } from "../actions/repository";
import type { EngineObserver } from "../engine/run-action";
import type { Metrics } from "./metrics";

export function transitionLogger(metrics: Metrics, log: (line: Record<string, unknown>) => void) {
  return (action: ActionRow, by: string): void => {
    metrics.transitions.inc({ type: action.type, status: action.status });
    log({
      msg: "action transition",
      by,
      referenceId: action.referenceId,
      type: action.type,
      status: action.status,
      version: action.version,
      processed: action.processed,
      total: action.total,
      ...(action.failureReason ? { reason: action.failureReason } : {}),
    });
  };
}

export function engineObserver(
  metrics: Metrics,
  log: (line: Record<string, unknown>) => void,
  workerId: string,
): EngineObserver {
  const transition = transitionLogger(metrics, log);
  return {
    slice: (type, seconds) => metrics.slices.observe({ type }, seconds),
    transition: (action) => transition(action, workerId),
  };
}
