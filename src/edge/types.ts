/**
 * The few Cloudflare Workers types the edge needs, declared here instead of adding
 * `@cloudflare/workers-types` (whose globals clash with bun-types). Only what we call is declared;
 * the shapes follow the Workers runtime API.
 */

export interface D1Result<T = unknown> {
  results: T[];
  success: boolean;
  meta: Record<string, unknown>;
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  run<T = unknown>(): Promise<D1Result<T>>;
  all<T = unknown>(): Promise<D1Result<T>>;
  first<T = unknown>(column?: string): Promise<T | null>;
  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]>;
}

export interface D1Database {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
  exec(query: string): Promise<{ count: number; duration: number }>;
}

export interface R2ObjectBody {
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2Bucket {
  get(key: string): Promise<R2ObjectBody | null>;
  put(key: string, value: ArrayBuffer | ArrayBufferView | string | ReadableStream | null): Promise<unknown>;
  delete(keys: string | string[]): Promise<void>;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  noRetry(): void;
}

/**
 * The worker's bindings: D1 `DB`, optional R2 `BLOBS`, the contract's variables (`[vars]` in
 * wrangler.toml) and secrets (`wrangler secret put`). Everything textual is optional so a missing
 * variable falls back to the contract's default in parseConfig.
 */
export interface EdgeEnv {
  DB?: D1Database;
  BLOBS?: R2Bucket;
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  AUTH_SECRET?: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  /** How long one SSE response stays open before it ends with a `retry:` hint (duration, e.g. "5m"). */
  STREAM_MAX_DURATION?: string;
  /** How often an open stream reads the event log (duration, e.g. "1s"). */
  STREAM_POLL_INTERVAL?: string;
  /** Wall time one cron invocation, or one kick after a submission, spends running the engine. */
  ENGINE_BUDGET?: string;
  /** Statements one engine run may send to D1 before it stops (D1: 1,000 per invocation, 50 on Free). */
  ENGINE_QUERY_BUDGET?: string;
  [name: string]: unknown;
}
