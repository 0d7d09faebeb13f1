/**
 * `reminder_send` {course, message?, recurrence?}: one email, through the outbox, to each user enrolled
 * in the course who has not completed it (status other than completed or passed, so a failed attempt
 * is reminded too; every enrolled user counts, whatever their portal role).
 *
 * Exactly once per recipient, even across a crash: the outbox rows of a slice commit in the slice's
 * batch, and each carries the unique key `reminder/<referenceId>/<userId>`. A recipient whose address is
 * not one email address gets no email: their row is an Error in the report saying why.
 *
 * With `recurrence` (a croner pattern, read in UTC), the batch that ends a completed occurrence also
 * inserts the next one (reminder-series.ts: at most once per REMINDER_MIN_INTERVAL, at most
 * REMINDER_SERIES_MAX occurrences). A cancelled, failed or timed-out occurrence has no successor, so
 * cancelling the scheduled one stops the series.
 */
import { and, asc, eq, gt, notInArray } from "drizzle-orm";
import type { ParamsOf } from "../../actions/params";
import { enrollments, users } from "../../db/schema";
import { addressProblem, printable } from "../../mail/address";
import { type ReminderRecipient, reminderInserts } from "../../mail/enqueue";
import { reminderEmail, reminderGreeting } from "../../mail/reminder-template";
import type { ActionHandler, EngineContext, ReportLine, StagedItem, Statement } from "../handler";
import { WholeActionError } from "../handler";
import { COMPLETE_STATUSES } from "../portal-data/enrollments";
import { coursesByCode, unknownCourseProblems } from "../portal-data/lookups";
import { recurrenceProblems, seriesStatements } from "./reminder-series";

type Params = ParamsOf<"reminder_send">;

/** A staged item: [userId, email, firstName]. */
type Item = [number, string, string];

/** Recipients read per query while staging. */
const RECIPIENT_PAGE = 1_000;

async function findCourse(ctx: EngineContext) {
  const code = (ctx.params as Params).course;
  const course = (await coursesByCode(ctx.db, ctx.action.portalId, [code])).get(code);
  if (!course) throw new WholeActionError(`The course "${code}" no longer exists in this portal.`);
  return course;
}

export const reminderSend: ActionHandler = {
  async checkSubmission(db, who, params, { now, settings }) {
    const { course, recurrence } = params as Params;
    const problems = await unknownCourseProblems(db, who.portal, "params.course", course);
    if (recurrence) problems.push(...recurrenceProblems(recurrence, settings.reminderMinIntervalMs, now));
    return problems;
  },

  async prepare(ctx, stage) {
    const course = await findCourse(ctx);
    let after = 0;
    for (;;) {
      const page = await ctx.db
        .select({ id: users.id, email: users.email, firstName: users.firstName })
        .from(enrollments)
        .innerJoin(users, eq(users.id, enrollments.userId))
        .where(
          and(
            eq(enrollments.courseId, course.id),
            notInArray(enrollments.status, [...COMPLETE_STATUSES]),
            eq(users.portalId, ctx.action.portalId),
            gt(users.id, after),
          ),
        )
        .orderBy(asc(users.id))
        .limit(RECIPIENT_PAGE);
      for (const user of page) await stage.add([user.id, user.email, user.firstName] satisfies Item);
      if (page.length < RECIPIENT_PAGE) return;
      after = page[page.length - 1]!.id;
    }
  },

  async apply(ctx, items) {
    const params = ctx.params as Params;
    const email = reminderEmail(await findCourse(ctx), params.message);
    const recipients: ReminderRecipient[] = [];
    const report: ReportLine[] = [];
    for (const { position, item } of items as StagedItem<Item>[]) {
      const [userId, address, firstName] = item;
      const problem = addressProblem(address);
      if (problem) {
        report.push({
          row: position + 1,
          status: "Error",
          identifier: printable(address),
          issue: `The learner's address ${problem}, so no reminder was sent to them.`,
          resolution: "Correct the learner's email address in the portal (a user upload updates it).",
        });
        continue;
      }
      const greeting = reminderGreeting(firstName);
      recipients.push([userId, address, greeting.text, greeting.html]);
    }
    const { id, referenceId, portalId } = ctx.action;
    const statements: Statement[] =
      recipients.length === 0
        ? []
        : [
            ...reminderInserts(ctx.db, {
              actionId: id,
              referenceId,
              portalId,
              now: ctx.now,
              email,
              recipients,
              portalRatePerHour: ctx.settings.mailPortalRate,
            }),
          ];
    return { statements, report, errors: report.length, warnings: 0 };
  },

  async finish(ctx, status): Promise<Statement[]> {
    const { recurrence } = ctx.params as Params;
    if (!recurrence || (status !== "completed" && status !== "completed_with_errors")) return [];
    return seriesStatements(ctx, recurrence, await findCourse(ctx));
  },
};
