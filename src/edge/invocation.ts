/**
 * The current Worker invocation (one request, or one cron event), carried by AsyncLocalStorage
 * (nodejs_compat) through every await of it, including promises handed to `waitUntil`.
 *
 * Two things need it. The per-isolate services cannot hold a request's ExecutionContext, yet
 * `notify()` must call that request's `waitUntil`. And D1 allows a bounded number of queries per
 * invocation (1,000 on paid plans, 50 on Free), so every request to the database counts against the
 * invocation that sent it, and the engine stops before the platform would fail it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ExecutionContext } from "./types";

export interface Invocation {
  readonly ctx: ExecutionContext;
  /** Requests sent to the database so far in this invocation (a batch is one). */
  queries: number;
}

const storage = new AsyncLocalStorage<Invocation>();

/** Runs `fn` as the given invocation: what it awaits (and waits for) counts as this invocation. */
export function runInvocation<T>(ctx: ExecutionContext, fn: () => T): T {
  return storage.run({ ctx, queries: 0 }, fn);
}

export function currentInvocation(): Invocation | undefined {
  return storage.getStore();
}

/** Adds `n` requests to the current invocation's count (outside one, nothing is counted). */
export function countQueries(n = 1): void {
  const invocation = storage.getStore();
  if (invocation) invocation.queries += n;
}

/** Requests sent so far by the current invocation (0 outside one). */
export function queriesSoFar(): number {
  return storage.getStore()?.queries ?? 0;
}
