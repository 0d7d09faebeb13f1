/**
 * Recurring reminders (`reminder_send` with `recurrence`): how often a series may fire, when its next
 * occurrence is, and where it ends. Each occurrence is a new action, so without these limits a pattern
 * such as `* * * * * *` would email every learner every second, outside the per-minute action limit.
 *
 * - A pattern that fires more often than REMINDER_MIN_INTERVAL (1 h by default) is refused at submission
 *   (422 naming `params.recurrence`), and the engine never schedules an occurrence sooner than that after
 *   the previous one (series written before the limit existed, or under a smaller one, slow down too).
 * - A series has at most REMINDER_SERIES_MAX occurrences (100 by default). The occurrence that reaches it
 *   runs normally and schedules no successor; its requester gets a "reminder series ended" email saying so
 *   and how to continue (unless they asked for no email with `notify: false`).
 */
import { Cron } from "croner";
import type { FieldProblem } from "../../actions/errors";
import { newReferenceId } from "../../actions/reference";
import { firstTimeline } from "../../actions/timeline";
import { actions } from "../../db/schema";
import { outboxInsert, personalEmailRow } from "../../mail/enqueue";
import { type ReminderCourse, seriesEndEmail } from "../../mail/reminder-template";
import type { EngineContext, Statement } from "../handler";

/** Patterns are read in UTC; a fixed offset is the same as the UTC zone and ~7× faster to step through. */
const UTC = { paused: true, utcOffset: 0 } as const;

/** The pattern's next time after `now` (UTC), or null when it has none. */
export function nextOccurrence(pattern: string, now: number): number | null {
  const cron = new Cron(pattern, UTC);
  try {
    return cron.nextRun(new Date(now))?.getTime() ?? null;
  } finally {
    cron.stop();
  }
}

/**
 * How far ahead a pattern is looked at when it is submitted. Its first firing day already shows the gaps
 * within a day (the time fields are the same every day), and 100 occurrences or a year and a bit show the
 * gaps between days. This runs in the request (stepping costs 60–400 µs an occurrence), so it is bounded;
 * a gap it cannot see is still never scheduled: the engine spaces occurrences itself (seriesStatements).
 */
const LOOK_AHEAD_MS = 400 * 86_400_000;
const LOOK_AHEAD_RUNS = 100;

/**
 * The shortest gap between two consecutive occurrences of `pattern` after `from`, over its next 100
 * occurrences or 400 days (stopping at the first gap under `stopBelow`); null when it fires at most once.
 */
export function shortestGap(pattern: string, from: number, stopBelow = 0): number | null {
  const cron = new Cron(pattern, UTC);
  try {
    let previous = cron.nextRun(new Date(from));
    let shortest: number | null = null;
    for (let i = 0; previous && i < LOOK_AHEAD_RUNS; i++) {
      const next = cron.nextRun(previous);
      if (!next || next.getTime() > from + LOOK_AHEAD_MS) break;
      const gap = next.getTime() - previous.getTime();
      if (shortest === null || gap < shortest) shortest = gap;
      if (shortest < stopBelow) break;
      previous = next;
    }
    return shortest;
  } finally {
    cron.stop();
  }
}

/** "1 s", "30 min", "1 h", "2 d": how a limit reads in a message. */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(1)} s` : `${ms} ms`;
}

/** The problems of a recurrence at submission: one naming `params.recurrence` when it fires too often. */
export function recurrenceProblems(pattern: string, minIntervalMs: number, now: number): FieldProblem[] {
  const gap = shortestGap(pattern, now, minIntervalMs);
  if (gap === null || gap >= minIntervalMs) return [];
  return [
    {
      path: "params.recurrence",
      message:
        `params.recurrence "${pattern}" fires every ${formatInterval(gap)} at times; a reminder series may ` +
        `fire at most once every ${formatInterval(minIntervalMs)} (REMINDER_MIN_INTERVAL). ` +
        'Use a pattern such as "0 9 * * 1" (Mondays at 09:00 UTC).',
    },
  ];
}

/** Which occurrence of its series an action is (1 for the first), kept in its engine state. */
export function occurrenceOf(ctx: Pick<EngineContext, "state">): number {
  const n = Number(ctx.state.occurrence ?? 1);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * For the batch that ends a completed occurrence: the next one (same requester, params and notify,
 * `scheduled` for the pattern's next time at least REMINDER_MIN_INTERVAL after this one's), or, when
 * this occurrence is the series' last, the email that says so.
 */
export function seriesStatements(ctx: EngineContext, pattern: string, course: ReminderCourse): Statement[] {
  const { action, settings, now } = ctx;
  const occurrence = occurrenceOf(ctx);
  if (occurrence >= settings.reminderSeriesMax) {
    if (action.notify !== 1) return [];
    const email = seriesEndEmail({
      course,
      occurrences: settings.reminderSeriesMax,
      referenceId: action.referenceId,
      requesterName: action.requesterName,
      publicUrl: ctx.publicUrl,
    });
    const row = personalEmailRow({
      idempotencyKey: `series-end/${action.referenceId}`,
      to: action.requesterEmail,
      email,
      actionId: action.id,
      portalId: action.portalId,
      now,
    });
    return [outboxInsert(ctx.db, row)];
  }
  const base = action.scheduledFor ?? action.startedAt ?? now;
  const next = nextOccurrence(pattern, Math.max(now, base + settings.reminderMinIntervalMs - 1));
  if (next === null) return [];
  return [
    ctx.db.insert(actions).values({
      referenceId: newReferenceId(),
      portalId: action.portalId,
      requesterId: action.requesterId,
      requesterName: action.requesterName,
      requesterEmail: action.requesterEmail,
      requesterRole: action.requesterRole,
      type: action.type,
      status: "scheduled",
      params: action.params,
      notify: action.notify,
      createdAt: now,
      scheduledFor: next,
      runAt: next,
      state: JSON.stringify({ occurrence: occurrence + 1 }),
      timeline: firstTimeline(
        "scheduled",
        now,
        "worker",
        `Occurrence ${occurrence + 1} of the series, scheduled when ${action.referenceId} ended.`,
      ),
    }),
  ];
}
