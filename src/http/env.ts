/** The Hono environment, typed once: services are handed in by the entry, never imported as singletons. */

import type { Principal } from "../actions/principal";
import type { Config } from "../config";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import type { EngineServices } from "../engine/services";
import type { ActionCache } from "../events/action-cache";
import type { EventHub } from "../events/hub";
import type { Clock } from "../lib/clock";
import type { Metrics } from "../metrics/metrics";
import type { TokenVerifier } from "./auth";
import type { RequestSpool } from "./multipart";
import type { RateLimiter } from "./rate-limit";
import type { SessionStore } from "./sessions";
import type { UploadGate } from "./upload-gate";

export type AppConfig = Pick<
  Config,
  | "production"
  | "publicUrl"
  | "reportRetentionMs"
  | "corsOrigins"
  | "maxUploadBytes"
  | "maxRowsPerFile"
  | "maxFileBytes"
  | "authSecretIsDevDefault"
  | "authSecret"
  | "rateLimitActions"
  | "maxStreamsPerPerson"
  // Read by the reminder handler's submission check (src/engine/handler.ts, HandlerSettings).
  | "reminderMinIntervalMs"
  | "reminderSeriesMax"
  | "mailPortalRate"
  | "maxJsonBytes"
  | "maxUploadsPerPerson"
  | "maxUploads"
  | "uploadDeadlineMs"
  | "sessionTtlMs"
  | "sessionRecheckMs"
  | "metricsToken"
>;

export interface Services extends EngineServices {
  db: Db;
  clock: Clock;
  config: AppConfig;
  hub: EventHub;
  verifier: TokenVerifier;
  /** Browser sessions (the `tracker_session` cookie), revocable. */
  sessions: SessionStore;
  /** Places for upload bodies being received, per person and per process. */
  uploadGate: UploadGate;
  blobs: BlobStore;
  /**
   * Latest state of recently changed actions, for polls without a database read. Only where an event
   * tail keeps it current (Bun api processes); absent at the edge.
   */
  actionCache?: ActionCache;
  /** One JSON object per line: a line per request and per action transition. */
  log: (line: Record<string, unknown>) => void;
  metrics: Metrics;
  /** Actions started per person per minute (429 over it). */
  limiter: RateLimiter;
  /** A place for one request's uploaded files while it is read (Bun: files, edge: R2); absent, bodies are read in memory. */
  uploads?: () => RequestSpool;
  /**
   * Tells local engines and the event tail that an action of `portal` changed, so they act now instead of
   * at the next tick (at the edge: that portal's stream object, and the engine's queue).
   */
  notify?: (portal: string) => void;
  /**
   * Opens one person's event stream instead of the hub-fed one: at the edge, through the portal's
   * stream object (src/edge/portal-streams.ts), or by polling the log where none is bound.
   */
  openStream?: (options: StreamRequest) => Response | Promise<Response>;
}

/** What the events route knows about a stream request. */
export interface StreamRequest {
  owner: { portal: string; sub: string };
  /** The last event id the client saw, or null for a fresh stream. */
  lastEventId: number | null;
  signal?: AbortSignal;
}

export type AppEnv = {
  Variables: {
    services: Services;
    principal: Principal;
    requestId: string;
  };
};
