/**
 * Clean-up after an action ended outside the engine (cancelled by its requester, ended by the sweeper):
 * the type's `afterEnd` removes what only the run needed (uploaded packages). Best effort: garbage left by
 * a crash here costs space, never correctness.
 */
import type { ActionRow } from "../actions/repository";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import { handlers } from "./handlers";

export async function cleanUpEnded(
  deps: {
    db: Db;
    blobs: BlobStore;
    now: number;
    publicUrl: string;
    log?: (line: Record<string, unknown>) => void;
  },
  action: ActionRow,
): Promise<void> {
  const afterEnd = handlers[action.type as keyof typeof handlers]?.afterEnd;
  if (!afterEnd) return;
  try {
    await afterEnd(
      {
        db: deps.db,
        blobs: deps.blobs,
        now: deps.now,
        action,
        params: JSON.parse(action.params),
        state: JSON.parse(action.state),
        publicUrl: deps.publicUrl,
      },
      action.status,
    );
  } catch (error) {
    deps.log?.({
      level: "warn",
      msg: "clean-up after the end failed",
      referenceId: action.referenceId,
      error: String(error),
    });
  }
}
