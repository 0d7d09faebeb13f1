/**
 * What the engine's request-time work (accepting and cancelling actions) needs of the running process.
 * The HTTP boundary's `Services` is a superset of it; the engine never sees requests, tokens or streams.
 */
import type { Config } from "../config";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import type { ActionCache } from "../events/action-cache";
import type { Clock } from "../lib/clock";
import type { Metrics } from "../metrics/metrics";
import type { HandlerSettings } from "./handler";

export interface EngineServices {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  config: Pick<Config, "publicUrl" | "reportRetentionMs" | "maxRowsPerFile" | "maxFileBytes"> &
    HandlerSettings;
  /** Latest state of recently changed actions (Bun api processes), kept current by whoever changes one. */
  actionCache?: ActionCache;
  /** One JSON object per line. */
  log: (line: Record<string, unknown>) => void;
  metrics: Metrics;
  /**
   * Tells local engines and the event tail (Bun), or the portal's stream object and the engine queue (the
   * edge), that something changed in `portal`, so they act now.
   */
  notify?: (portal: string) => void;
}
