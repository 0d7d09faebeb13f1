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

export interface R2Object {
  key: string;
  size: number;
  uploaded: Date;
}

export interface R2ObjectBody extends R2Object {
  body: ReadableStream<Uint8Array>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2UploadedPart {
  partNumber: number;
  etag: string;
}

export interface R2MultipartUpload {
  uploadPart(partNumber: number, value: ArrayBuffer | ArrayBufferView): Promise<R2UploadedPart>;
  complete(parts: R2UploadedPart[]): Promise<R2Object>;
  abort(): Promise<void>;
}

export interface R2Bucket {
  get(key: string): Promise<R2ObjectBody | null>;
  put(key: string, value: ArrayBuffer | ArrayBufferView | string | ReadableStream | null): Promise<unknown>;
  delete(keys: string | string[]): Promise<void>;
  createMultipartUpload(key: string): Promise<R2MultipartUpload>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    objects: R2Object[];
    truncated: boolean;
    cursor?: string;
  }>;
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

/** A Durable Object's own state: only its alarm is used (the streams it holds live in memory). */
export interface DurableObjectState {
  readonly storage: {
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number): Promise<void>;
    deleteAlarm(): Promise<void>;
  };
  waitUntil(promise: Promise<unknown>): void;
}

export interface DurableObjectStub {
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStub;
}

/** A queue producer binding. */
export interface Queue<Body = unknown> {
  send(body: Body, options?: { delaySeconds?: number }): Promise<void>;
}

export interface QueueMessage<Body = unknown> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: Body;
  /** 1 on the first delivery, then one more per retry. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface MessageBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}

/**
 * The worker's bindings: D1 `DB`, R2 `BLOBS` (uploads as they arrive, and content packages), the
 * Durable Object namespace `STREAMS` (live streams, one object per portal), the queue `ENGINE` (the
 * engine's turns), the contract's variables (`[vars]` in wrangler.toml) and secrets. Everything is
 * optional: without `STREAMS` streams poll the log, without `ENGINE` the engine runs in bursts after
 * each request and from the cron, without `BLOBS` uploads are read whole and packages go to D1.
 */
export interface EdgeEnv {
  DB?: D1Database;
  BLOBS?: R2Bucket;
  STREAMS?: DurableObjectNamespace;
  ENGINE?: Queue<EngineMessage>;
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  AUTH_SECRET?: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  /** How long one SSE response stays open before it ends with a `retry:` hint (duration, e.g. "5m"). */
  STREAM_MAX_DURATION?: string;
  /** How often an open stream reads the event log, where no Durable Object fans out (duration, e.g. "1s"). */
  STREAM_POLL_INTERVAL?: string;
  /** How often a portal's stream object reads the log on its own, to catch a lost notification. */
  STREAM_CATCH_UP?: string;
  /** Wall time of one engine turn (a queue message, or a burst where no queue is bound). */
  ENGINE_BUDGET?: string;
  /** Statements one engine run may send to D1 before it stops (D1: 1,000 per invocation, 50 on Free). */
  ENGINE_QUERY_BUDGET?: string;
  [name: string]: unknown;
}

/** The body of an engine queue message: why the turn was asked for (logged; any turn runs all due work). */
export interface EngineMessage {
  reason: "submitted" | "continue" | "sweep" | "mail";
}
