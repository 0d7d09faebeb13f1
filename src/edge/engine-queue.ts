/**
 * The engine driven by a Cloudflare Queue (binding `ENGINE`). A message asks for a turn: one run of the
 * shared engine (claim, slices, mail) within the turn's budget. A submission sends one; a turn that
 * runs out of budget with work left sends the next, so a large file progresses turn after turn without
 * waiting for the cron; a mail retry due soon is a delayed message.
 *
 * Failures are the platform's to retry. A turn's runner claims under the message's id (`q-<id>`), so
 * when a run dies holding its lease (an error half-way through a slice, or the invocation killed), the
 * turn is marked for retry and the retry of that same message takes the lease back at once and resumes
 * from the checkpoint. Claims and the lease guard still decide who may commit, so no row is applied
 * twice, even if a message were delivered twice. After `max_retries` the message goes to the dead-letter
 * queue; the cron's safety sweep then finds the work once the lease has run out.
 */
import { and, eq, isNotNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { actions } from "../db/schema";
import { MAX_LEASE_ATTEMPTS } from "../engine/options";
import { systemClock } from "../lib/clock";
import { runWork } from "./jobs";
import type { Edge } from "./services";
import type { EngineMessage, MessageBatch, Queue } from "./types";

/** A mail retry due within this long gets a delayed turn; a later one is the cron's. */
const MAIL_TURN_WITHIN_MS = 60_000;

/** The worker id of a message's turns: a retry of the message recognises the leases of its first try. */
export const turnWorkerId = (messageId: string) => `q-${messageId}`;

/** The fencing tokens of a turn's claims start with its worker id (see engine/claim.ts). */
const leasedBy = (workerIds: string[]) =>
  or(...workerIds.map((id) => sql`substr(${actions.leaseOwner}, 1, ${id.length + 1}) = ${`${id}#`}`));

/** Asks for a turn; `delayMs` for one that should come later (queues count delays in seconds). */
export function requestTurn(queue: Queue<EngineMessage>, reason: EngineMessage["reason"], delayMs = 0) {
  const delaySeconds = Math.ceil(Math.max(0, delayMs) / 1000);
  return queue.send({ reason }, delaySeconds > 0 ? { delaySeconds } : undefined);
}

/** Lets another claim take, now, the actions whose runs these turns left holding a lease. */
export async function releaseTurnLeases(db: Db, workerIds: string[], now: number): Promise<number> {
  const released = await db
    .update(actions)
    .set({ leaseExpiresAt: now })
    .where(and(eq(actions.status, "in_progress"), leasedBy(workerIds)))
    .returning({ id: actions.id });
  return released.length;
}

async function leasesHeldBy(db: Db, workerId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(actions)
    .where(and(eq(actions.status, "in_progress"), leasedBy([workerId])));
  return row?.n ?? 0;
}

/** True when some action could be claimed now (the cron's safety sweep asks for a turn then). */
export async function engineWorkIsDue(db: Db, now: number): Promise<boolean> {
  const [row] = await db
    .select({ id: actions.id })
    .from(actions)
    .where(
      or(
        and(eq(actions.status, "not_started"), isNotNull(actions.runAt), lte(actions.runAt, now)),
        and(
          eq(actions.status, "in_progress"),
          lte(actions.leaseExpiresAt, now),
          lt(actions.attempts, MAX_LEASE_ATTEMPTS),
        ),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** The queue consumer: one turn for the whole batch (any turn runs all due work). */
export async function consumeEngineBatch(
  edge: Edge,
  queue: Queue<EngineMessage>,
  batch: MessageBatch<EngineMessage>,
): Promise<void> {
  const { db } = edge.database;
  const first = batch.messages[0];
  if (!first) return;
  const retried = batch.messages.filter((m) => m.attempts > 1).map((m) => turnWorkerId(m.id));
  if (retried.length > 0) {
    const released = await releaseTurnLeases(db, retried, systemClock.now());
    edge.log({ level: "info", msg: "edge.turn.retry", messages: retried.length, released });
  }
  const workerId = turnWorkerId(first.id);
  const outcome = await runWork(edge, {
    budgetMs: edge.settings.engineBudgetMs,
    clocksAt: null,
    workerId,
    waitForMail: false,
  });
  const stranded = await leasesHeldBy(db, workerId);
  if (stranded > 0) {
    edge.log({ level: "warn", msg: "edge.turn.failed", workerId, stranded });
    batch.retryAll();
    return;
  }
  if (!outcome.engineIdle) {
    await requestTurn(queue, "continue");
    edge.log({ level: "info", msg: "edge.turn.continue", workerId });
  }
  const mailAt = outcome.nextMailAt;
  if (mailAt !== null && mailAt - Date.now() < MAIL_TURN_WITHIN_MS) {
    await requestTurn(queue, "mail", mailAt - Date.now());
  }
  batch.ackAll();
}
