/**
 * `reminder_send` {course, message?, recurrence?}: one email, through the outbox, to each user enrolled
 * in the course who has not completed it (status other than completed or passed, so a failed attempt
 * is reminded too; every enrolled user counts, whatever their portal role).
 *
 * Exactly once per recipient, even across a crash: the outbox rows of a slice commit in the slice's
 * batch, and each carries the unique key `reminder/<referenceId>/<userId>`.
 *
 * With `recurrence` (a croner pattern, read in UTC), the batch that ends a completed occurrence also
 * inserts the next one: same requester, params and notify, `scheduled` for the pattern's next time after
 * now. A cancelled, failed or timed-out occurrence has no successor, so cancelling the scheduled one
 * stops the series.
 */
import { Cron } from "croner";
import { and, asc, eq, gt, notInArray, sql } from "drizzle-orm";
import type { ParamsOf } from "../../actions/params";
import { newReferenceId } from "../../actions/reference";
import { actions, enrollments, outbox, users } from "../../db/schema";
import { reminderEmail, reminderGreeting } from "../../mail/reminder-template";
import type { ActionHandler, EngineContext, StagedItem, Statement } from "../handler";
import { WholeActionError } from "../handler";
import { COMPLETE_STATUSES } from "../portal-data/enrollments";
import { coursesByCode, unknownCourseProblems } from "../portal-data/lookups";

type Params = ParamsOf<"reminder_send">;

/** A staged item: [userId, email, firstName]. */
type Item = [number, string, string];

/** Recipients read per query while staging. */
const RECIPIENT_PAGE = 1_000;

/** The pattern's next time after `now` (UTC), or null when it has none. */
export function nextOccurrence(pattern: string, now: number): number | null {
  const cron = new Cron(pattern, { paused: true, timezone: "Etc/UTC" });
  try {
    return cron.nextRun(new Date(now))?.getTime() ?? null;
  } finally {
    cron.stop();
  }
}

async function findCourse(ctx: EngineContext) {
  const code = (ctx.params as Params).course;
  const course = (await coursesByCode(ctx.db, ctx.action.portalId, [code])).get(code);
  if (!course) throw new WholeActionError(`The course "${code}" no longer exists in this portal.`);
  return course;
}

export const reminderSend: ActionHandler = {
  checkSubmission(db, who, params) {
    return unknownCourseProblems(db, who.portal, "params.course", (params as Params).course);
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
    const recipients = JSON.stringify(
      (items as StagedItem<Item>[]).map(({ item: [userId, address, firstName] }) => {
        const greeting = reminderGreeting(firstName);
        return [userId, address, greeting.text, greeting.html];
      }),
    );
    const { id, referenceId } = ctx.action;
    const statement = ctx.db.run(sql`
      INSERT INTO ${outbox} (action_id, idempotency_key, to_address, subject, text_body, html_body,
                             status, attempts, next_attempt_at, created_at)
      SELECT ${id}, ${`reminder/${referenceId}/`} || (j.value ->> 0), j.value ->> 1, ${email.subject},
             ${email.text[0]} || (j.value ->> 2) || ${email.text[1]},
             ${email.html[0]} || (j.value ->> 3) || ${email.html[1]},
             'pending', 0, ${ctx.now}, ${ctx.now}
      FROM json_each(${recipients}) AS j WHERE true
      ON CONFLICT DO NOTHING`);
    return { statements: [statement], report: [], errors: 0, warnings: 0 };
  },

  async finish(ctx, status): Promise<Statement[]> {
    const { recurrence } = ctx.params as Params;
    if (!recurrence || (status !== "completed" && status !== "completed_with_errors")) return [];
    const next = nextOccurrence(recurrence, ctx.now);
    if (next === null) return [];
    const { action } = ctx;
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
        createdAt: ctx.now,
        scheduledFor: next,
        runAt: next,
      }),
    ];
  },
};
