/**
 * The per-process guards every entry (Bun, Workers) builds the same way from its configuration: token
 * verification with its cache, browser sessions with theirs, and the upload places.
 */
import type { Config } from "../config";
import type { Db } from "../db/client";
import { TokenVerifier } from "./auth";
import { SessionStore } from "./sessions";
import { UploadGate } from "./upload-gate";

export function guardServices(config: Config, db: Db) {
  return {
    verifier: new TokenVerifier(config.authSecret),
    sessions: new SessionStore(db, { ttlMs: config.sessionTtlMs, recheckMs: config.sessionRecheckMs }),
    uploadGate: new UploadGate(config.maxUploadsPerPerson, config.maxUploads),
  };
}
