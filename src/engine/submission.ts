/**
 * A request to start an action, as the engine receives it: already read and checked for shape by the
 * HTTP boundary (src/http/submission.ts), whatever the wire format was.
 */
import type { ActionType } from "../actions/model";

/** What staging needs of an uploaded file (a `File` has it too). */
export interface UploadedFile {
  readonly name: string;
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface Submission {
  type: ActionType;
  params: Record<string, unknown>;
  files: UploadedFile[];
  scheduledFor: number | null;
  notify: boolean;
  idempotencyKey: string | null;
  /** Judge and report every row, change nothing. */
  dryRun: boolean;
  /** A reference ID, as the request wrote it, of the requester's own action this one retries. */
  retryOf: string | null;
  /** Removes the upload's spooled files; call once the request is done with them. */
  dispose(): Promise<void>;
}
