/**
 * Cancelling by the requester. An action that later steps of its task wait for takes them with it: a
 * replacement cancelled at step 1 is cancelled whole, instead of leaving step 2 to fail for want of it.
 */
import { and, eq, notInArray } from "drizzle-orm";
import { FINAL_STATUSES } from "../actions/model";
import type { ActionRow } from "../actions/repository";
import { transition } from "../actions/transitions";
import { actions } from "../db/schema";
import { transitionLogger } from "../metrics/observe";
import { cleanUpEnded } from "./cleanup";
import type { EngineServices } from "./services";

/** Returns the cancelled action, or null when it had already ended (nothing is changed then). */
export async function cancelAction(
  services: EngineServices,
  action: ActionRow,
  by: string,
): Promise<ActionRow | null> {
  const cancelled = await cancelOne(services, action, by);
  if (!cancelled) return null;
  for (let waitFor = [cancelled.id]; waitFor.length > 0; ) {
    const waiting = await services.db
      .select()
      .from(actions)
      .where(and(eq(actions.waitFor, waitFor.pop()!), notInArray(actions.status, [...FINAL_STATUSES])));
    for (const step of waiting) {
      const note = `Cancelled with the step it waits for (${cancelled.referenceId}).`;
      const ended = await cancelOne(services, step, by, note);
      if (ended) waitFor.push(ended.id);
    }
  }
  services.notify?.();
  return cancelled;
}

async function cancelOne(
  services: EngineServices,
  action: ActionRow,
  by: string,
  note: string | null = null,
): Promise<ActionRow | null> {
  const now = services.clock.now();
  const cancelled = await transition(
    services.db,
    { now, ...services.config },
    { action, to: "cancelled", by: "requester", note, set: { failureReason: null } },
  );
  if (!cancelled) return null;
  services.actionCache?.put(cancelled);
  await cleanUpEnded({ ...services, now, publicUrl: services.config.publicUrl }, cancelled);
  transitionLogger(services.metrics, services.log)(cancelled, by);
  return cancelled;
}
