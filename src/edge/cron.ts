/**
 * The Cron Trigger (once a minute at most). With the `ENGINE` queue bound it keeps only the clocks
 * (promote scheduled actions, time out stuck ones, expire reports, prune events, sweep uploads) and a
 * safety sweep that asks for a turn where engine work or mail is due: a message lost, or dead-lettered
 * and its lease since run out. Without the queue, a burst of engine work follows the clocks.
 */
import { latestEventId, portalsWithEventsAfter } from "../events/log";
import { systemClock } from "../lib/clock";
import { hasDue } from "../mail/units";
import { engineWorkIsDue, requestTurn } from "./engine-queue";
import { runClocks, runWork } from "./jobs";
import type { Edge } from "./services";
import type { EngineMessage, Queue } from "./types";

/** Asks for a turn when mail or engine work is due now; true when it did. */
export async function sweepForTurns(edge: Edge, queue: Queue<EngineMessage>): Promise<boolean> {
  const { db } = edge.database;
  const now = systemClock.now();
  // The deliverer's own check (two index lookups), not the earliest time over every waiting email.
  const due = (await hasDue(db, now)) || (await engineWorkIsDue(db, now));
  if (due) await requestTurn(queue, "sweep");
  return due;
}

/**
 * One cron run; afterwards the stream objects of the portals whose actions the clocks changed
 * (promoted, timed out, reports expired) are told, found in the log from its head before the clocks.
 */
export async function runCron(edge: Edge, scheduledTime: number): Promise<void> {
  const started = Date.now();
  const { db } = edge.database;
  const head = edge.bindings.STREAMS ? await latestEventId(db).catch(() => null) : null;
  const queue = edge.bindings.ENGINE;
  if (queue) {
    await runClocks(edge, scheduledTime);
    const swept = await sweepForTurns(edge, queue).catch((error) => {
      edge.log({ level: "error", msg: "safety sweep failed", error: String(error) });
      return false;
    });
    edge.log({ level: "info", msg: "edge.burst", kind: "cron", ms: Date.now() - started, swept });
  } else {
    await runWork(edge, {
      budgetMs: edge.settings.engineBudgetMs,
      clocksAt: scheduledTime,
      waitForMail: true,
    });
  }
  if (head !== null) {
    const portals = await portalsWithEventsAfter(db, head).catch(() => []);
    for (const portal of portals) edge.notifier.poke(portal);
  }
}
