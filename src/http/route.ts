/**
 * One route object per operation: the single description of the API. The Hono app (src/http/mount.ts),
 * the 405 answers with `Allow`, the poll's synchronous path (every route is answered by one handler
 * alone) and the OpenAPI document (src/http/openapi/) are all derived from the table of these objects
 * (src/http/routes/index.ts), so none of them can drift.
 */
import type { Context } from "hono";
import type * as v from "valibot";
import { isUnsafeMethod } from "./csrf";
import type { AppConfig, AppEnv } from "./env";

export type Method = "GET" | "POST" | "DELETE";

/** How a caller may prove who they are: `Authorization: Bearer <jwt>`, or the `tracker_session` cookie. */
export type Credential = "bearer" | "cookie";

/** A JSON Schema written by hand, where no valibot schema is the truth (a CSV, a stream of frames). */
export type JsonSchema = Record<string, unknown>;

// biome-ignore lint/suspicious/noExplicitAny: any valibot object schema, whatever its entries and message.
export type InputSchema = v.ObjectSchema<v.ObjectEntries, any>;

/**
 * What the route reads from the URL and headers, as values: the table reads the wire into them (query
 * lists split on commas, numbers parsed, as the document's `style: form, explode: false` says) and
 * validates them with these schemas before the handler runs; a refusal is a 400 naming each field.
 */
export interface RouteInput {
  params?: InputSchema;
  query?: InputSchema;
  /** Keys are header names as documented (`Idempotency-Key`). */
  headers?: InputSchema;
}

export type InputOf<I extends RouteInput> = {
  [K in keyof I]: I[K] extends InputSchema ? v.InferOutput<I[K]> : never;
};

/** A request body the route accepts in one media type: its schema, examples, and the most it may weigh. */
export interface BodySpec {
  schema: v.GenericSchema;
  maxBytes: (config: AppConfig) => number;
  /** What a 413 calls the body: "A JSON body is larger than…" (default "The request"). */
  noun?: string;
  examples?: Record<string, Example>;
  /** Per-part content types of a multipart body (OpenAPI `encoding`). */
  encoding?: Record<string, { contentType: string }>;
}

export interface Example {
  summary: string;
  value: unknown;
}

export interface HeaderSpec {
  description: string;
  schema: v.GenericSchema | JsonSchema;
  required?: boolean;
  example?: string;
}

/** One answer the route really sends: each status, media type, schema and header is documented from it. */
export interface Answer {
  description: string;
  /** By media type; no content for 204 and 304. */
  content?: Record<string, { schema: v.GenericSchema | JsonSchema; examples?: Record<string, Example> }>;
  headers?: Record<string, HeaderSpec>;
}

/** Every field of a route, the handler last; `defineRoute` fills in the defaults. */
export interface RouteSpec<I extends RouteInput = RouteInput> {
  operationId: string;
  method: Method;
  /** An OpenAPI path template: `/v1/actions/{referenceId}`. */
  path: `/${string}`;
  tag: "actions" | "events" | "session" | "service" | "page";
  summary: string;
  description?: string;
  /** Credentials the route accepts, any one of them; empty for a public route. */
  auth: readonly Credential[];
  /**
   * Cookie-authenticated requests must come from the tracker's own origin or an allowed one (CSRF).
   * Defaults to true for unsafe methods.
   */
  originCheck?: boolean;
  /** `Cache-Control` of every answer that does not set its own. */
  cache: string;
  input?: I;
  /** Media types the route accepts (415 for any other), each with its size limit (413 over it). */
  body?: Record<string, BodySpec>;
  /** By status. Problem answers come from `problems(...)` in answers.ts. */
  answers: Record<number, Answer>;
  /** Returns or throws (a problem, a domain refusal); may answer synchronously. */
  handler: (c: Context<AppEnv>, input: InputOf<I>) => Response | Promise<Response>;
}

export interface Route extends RouteSpec<RouteInput> {
  originCheck: boolean;
}

/** Checks a route object's types against its own input schemas, and fills in the defaults. */
export function defineRoute<I extends RouteInput>(spec: RouteSpec<I>): Route {
  return { ...spec, originCheck: spec.originCheck ?? isUnsafeMethod(spec.method) } as Route;
}

/** `/v1/actions/{referenceId}` → `/v1/actions/:referenceId` (Hono's syntax; also the metrics' route label). */
export const honoPath = (path: string) => path.replace(/\{([^}]+)\}/g, ":$1");

/** Matches a concrete path (with or without one trailing slash) against a route's template. */
export function pathPattern(path: string): RegExp {
  const source = path
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
    .join("[^/]+");
  return new RegExp(`^${source}${path === "/" ? "" : "/?"}$`);
}
