/**
 * Accepting an action: idempotency, the type's submission checks, then recording it. File input is
 * checked and staged before the engine may claim the action; a file unusable as a whole still leaves a
 * recorded action, ended `failed` with a reason the requester can act on.
 */
import { and, eq, sql } from "drizzle-orm";
import { type FieldProblem, invalidInput, Refusal } from "../actions/errors";
import { isFinal } from "../actions/model";
import type { Principal } from "../actions/principal";
import { newTaskId, normalizeReferenceId } from "../actions/reference";
import { type ActionRow, findByIdempotencyKey, findOwnAction, insertAction } from "../actions/repository";
import { transition } from "../actions/transitions";
import type { CsvShape } from "../csv/dialect";
import { CsvError } from "../csv/parse";
import { actions } from "../db/schema";
import { safeFileName } from "../lib/file-name";
import { WholeActionError } from "./handler";
import { handlers } from "./handlers";
import type { EngineServices } from "./services";
import { ChunkStager, deleteStagedInput } from "./staging";
import type { Submission } from "./submission";

export async function submitAction(
  services: EngineServices,
  who: Principal,
  submission: Submission,
): Promise<{ action: ActionRow; created: boolean }> {
  const { db, clock } = services;
  if (submission.idempotencyKey) {
    const existing = await findByIdempotencyKey(db, who, submission.idempotencyKey);
    if (existing) return replayOf(existing);
  }
  const handler = handlers[submission.type];
  const problems =
    (await handler?.checkSubmission?.(db, who, submission.params, {
      now: clock.now(),
      settings: services.config,
    })) ?? [];
  const retryOf = await retriedAction(services, who, submission);
  if (retryOf.problem) problems.push(retryOf.problem);
  if (problems.length > 0) throw invalidInput(problems);

  const now = clock.now();
  const hasFiles = submission.files.length > 0;
  const steps = submission.type === "content_replace" ? 2 : 1;
  const fileName = hasFiles ? submission.files.map((f) => safeFileName(f.name)).join(", ") : null;
  const base = {
    type: submission.type,
    params: submission.params,
    fileName,
    scheduledFor: submission.scheduledFor,
    notify: submission.notify,
    steps,
    taskId: steps > 1 ? newTaskId() : null,
    dryRun: submission.dryRun,
    retryOf: retryOf.referenceId,
  };
  const { action, created } = await insertAction(db, now, who, {
    ...base,
    idempotencyKey: submission.idempotencyKey,
    ready: !hasFiles,
  });
  if (!created) return replayOf(action);
  if (steps > 1) {
    // Step 2 waits for step 1 to end, then works on what step 1 passed.
    await insertAction(db, now, who, {
      ...base,
      fileName,
      step: 2,
      waitFor: action.id,
      note: `Starts once step 1 (${action.referenceId}) has ended.`,
    });
  }
  if (!hasFiles || !handler?.stageFiles) return { action, created };
  return { action: await stageFiles(services, action, submission), created };
}

/**
 * The action a request retries: one of the requester's own, of the same type. Someone else's action is
 * answered exactly like an unknown one (the same problem, the same words), so `retryOf` reveals nothing.
 */
async function retriedAction(
  services: EngineServices,
  who: Principal,
  submission: Submission,
): Promise<{ referenceId: string | null; problem?: FieldProblem }> {
  if (!submission.retryOf) return { referenceId: null };
  const ref = normalizeReferenceId(submission.retryOf);
  const retried = ref ? await findOwnAction(services.db, who, ref) : null;
  if (!retried) {
    return {
      referenceId: null,
      problem: { path: "retryOf", message: "retryOf does not name one of your actions" },
    };
  }
  if (retried.type !== submission.type) {
    return {
      referenceId: null,
      problem: {
        path: "retryOf",
        message: `retryOf names a ${retried.type} action; a retry must be of the same type (${submission.type})`,
      },
    };
  }
  return { referenceId: retried.referenceId };
}

/**
 * A request repeated with the same Idempotency-Key gets the first one's action, except while that one's
 * file is still being received and staged: answering then would show an action whose input is not all
 * there yet (and that the sweeper fails if the first request's process died). The client retries.
 */
function replayOf(action: ActionRow): { action: ActionRow; created: false } {
  if (action.runAt === null && !isFinal(action.status)) {
    throw new Refusal(
      "conflict",
      "The first request with this Idempotency-Key is still being received; retry in a few seconds.",
      { code: "idempotency-key-in-use", retryAfterSeconds: 2 },
    );
  }
  return { action, created: false };
}

async function stageFiles(
  services: EngineServices,
  action: ActionRow,
  submission: Submission,
): Promise<ActionRow> {
  const { db, clock, config } = services;
  const stager = new ChunkStager(db, action.id);
  const ctx = {
    db,
    blobs: services.blobs,
    now: clock.now(),
    actionId: action.id,
    maxRows: config.maxRowsPerFile,
    maxFileBytes: config.maxFileBytes,
  };
  let shape: CsvShape | undefined;
  try {
    shape = await handlers[submission.type]!.stageFiles!(ctx, submission, stager);
    await stager.flush();
  } catch (error) {
    if (!(error instanceof WholeActionError || error instanceof CsvError)) throw error;
    await deleteStagedInput(db, action.id);
    const failed = await transition(
      db,
      { now: clock.now(), ...config },
      { action, to: "failed", by: "worker", set: { failureReason: error.message, runAt: null } },
    );
    return failed ?? action;
  }
  const scheduled = action.status === "scheduled";
  const [ready] = await db
    .update(actions)
    .set({
      total: stager.count,
      // The input is staged: the engine must not run the type's `prepare` (it stages from the database).
      state: JSON.stringify({ prepared: true }),
      source: shape ? JSON.stringify(shape) : null,
      runAt: scheduled ? action.scheduledFor : clock.now(),
      version: sql`${actions.version} + 1`,
    })
    .where(and(eq(actions.id, action.id)))
    .returning();
  return ready ?? action;
}
