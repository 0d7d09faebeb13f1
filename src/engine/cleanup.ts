/**
 * Clean-up after an action ended outside the engine (cancelled by its requester, ended by the sweeper):
 * the type's `afterEnd` removes what only the run needed (uploaded packages). Best effort: garbage left by
 * a crash here costs space, never correctness.
 */
import { and, gte, inArray } from "drizzle-orm";
import { type ActionType, FINAL_STATUSES } from "../actions/model";
import type { ActionRow } from "../actions/repository";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import { actions } from "../db/schema";
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

/** When the uploads sweep runs (hourly), and how far back it looks. */
export const SWEEP_UPLOADS_CRON = "47 * * * *";
export const SWEEP_UPLOADS_WITHIN_MS = 3 * 3_600_000;

/**
 * Runs the clean-up again for actions that ended in the last `withinMs`: a process that died between an
 * end's commit and its clean-up left their uploads behind. Deleting what is already gone is a no-op.
 */
export async function sweepEndedUploads(
  deps: Parameters<typeof cleanUpEnded>[0],
  withinMs: number,
): Promise<number> {
  const types = Object.entries(handlers)
    .filter(([, handler]) => handler.afterEnd)
    .map(([type]) => type);
  const ended = await deps.db
    .select()
    .from(actions)
    .where(
      and(
        inArray(actions.type, types as ActionType[]),
        inArray(actions.status, [...FINAL_STATUSES]),
        gte(actions.completedAt, deps.now - withinMs),
      ),
    );
  for (const action of ended) await cleanUpEnded(deps, action);
  return ended.length;
}
