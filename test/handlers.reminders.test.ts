/**
 * Reminders end to end: one outbox email per enrolled learner who has not completed the course, exactly
 * once even across a crash; a recurring series across two occurrences on a controlled clock, stopped by
 * cancelling the scheduled one; and the email itself.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq, like, sql } from "drizzle-orm";
import type { ActionView } from "../src/actions/view";
import { actions, courses, outbox } from "../src/db/schema";
import { nextOccurrence } from "../src/engine/handlers/reminder-series";
import { reminderEmail, reminderGreeting } from "../src/mail/reminder-template";
import { manyUsers, type Portal, startPortal } from "./support/portal";

let p: Portal;
let ids: Map<string, number>;
let sec: number;

/** A portal (Monday 2026-01-05T09:00:00Z) with six people, five of them enrolled in SEC-101. */
async function seeded(env: Record<string, string> = {}) {
  p = await startPortal(undefined, env);
  ids = await p.seedUsers([
    { email: "ann@example.com", firstName: "Ann" },
    { email: "ben@example.com", firstName: "Ben" },
    { email: "cid@example.com", firstName: "Cid" },
    { email: "dee@example.com", firstName: "Dee" },
    { email: "eve@example.com", firstName: "" },
    { email: "fay@example.com", firstName: "Fay" },
  ]);
  sec = await p.seedCourse("SEC-101", "Security <basics>");
  await p.enroll(sec, [id("ann@example.com"), id("eve@example.com")]);
  await p.enroll(sec, [id("ben@example.com")], "completed", Date.parse("2025-12-01T00:00:00Z"));
  await p.enroll(sec, [id("cid@example.com")], "failed", Date.parse("2025-12-02T00:00:00Z"));
  await p.enroll(sec, [id("dee@example.com")], "passed", Date.parse("2025-12-03T00:00:00Z"));
  // fay is not enrolled
  return p;
}

beforeEach(() => seeded());
afterEach(() => p.stop());

const id = (email: string) => ids.get(email)!;
const remindersOf = (referenceId: string) =>
  p.db
    .select()
    .from(outbox)
    .where(like(outbox.idempotencyKey, `reminder/${referenceId}/%`))
    .orderBy(outbox.toAddress);

describe("reminder_send", () => {
  test("an unknown course is refused with 422", async () => {
    const res = await p.post("reminder_send", { course: "NOPE" });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors).toEqual([
      {
        path: "params.course",
        message:
          'params.course "NOPE" is not the code of a course in this portal: check the code (codes match exactly, including capitals).',
      },
    ]);
  });

  test("emails every enrolled learner who has not completed the course, once", async () => {
    const ref = await p.submit("reminder_send", { course: "SEC-101", message: "Due <Friday> & no later!" });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
    const sent = await remindersOf(ref);
    expect(sent.map((r) => [r.toAddress, r.idempotencyKey, r.status])).toEqual([
      ["ann@example.com", `reminder/${ref}/${id("ann@example.com")}`, "pending"],
      ["cid@example.com", `reminder/${ref}/${id("cid@example.com")}`, "pending"],
      ["eve@example.com", `reminder/${ref}/${id("eve@example.com")}`, "pending"],
    ]);
    const ann = sent[0]!;
    expect(ann.subject).toBe('Reminder: please complete "Security <basics>"');
    expect(ann.textBody.startsWith("Hello Ann,\n")).toBe(true);
    expect(ann.textBody).toContain('the course "Security <basics>" (SEC-101)');
    expect(ann.textBody).toContain("Due <Friday> & no later!");
    expect(ann.htmlBody).toContain("Hello Ann,");
    expect(ann.htmlBody).toContain("Security &lt;basics&gt;");
    expect(ann.htmlBody).toContain("Due &lt;Friday&gt; &amp; no later!");
    expect(ann.htmlBody).not.toContain("<Friday>");
    expect(sent[2]!.textBody.startsWith("Hello,\n")).toBe(true);
    // The requester's completion email goes out as well.
    const done = await p.db
      .select()
      .from(outbox)
      .where(eq(outbox.idempotencyKey, `completion/${ref}`));
    expect(done).toHaveLength(1);
  });

  test("a course gone before the start fails the action, and a failed occurrence has no successor", async () => {
    const ref = await p.submit("reminder_send", { course: "SEC-101", recurrence: "0 10 * * 1" });
    await p.db.delete(courses).where(eq(courses.id, sec));
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("failed");
    expect(view.failureReason).toBe('The course "SEC-101" no longer exists in this portal.');
    const all = await p.db.select().from(actions).where(eq(actions.type, "reminder_send"));
    expect(all).toHaveLength(1);
  });

  test("a recurring series: two occurrences on a controlled clock, then cancelling the next stops it", async () => {
    const first = await p.submit(
      "reminder_send",
      { course: "SEC-101", recurrence: "0 10 * * 1" },
      {
        scheduledFor: "2026-01-05T10:00:00Z",
      },
    );
    expect((await p.view(first)).status).toBe("scheduled");
    await p.run();
    expect((await p.view(first)).status).toBe("scheduled"); // not due yet
    expect(await remindersOf(first)).toHaveLength(0);

    p.clock.set("2026-01-05T10:00:00Z");
    await p.run();
    expect((await p.view(first)).status).toBe("completed");
    expect((await remindersOf(first)).map((r) => r.toAddress)).toEqual([
      "ann@example.com",
      "cid@example.com",
      "eve@example.com",
    ]);

    const series = async () => {
      const res = await p.request("/v1/actions?type=reminder_send");
      return ((await res.json()) as { items: ActionView[] }).items;
    };
    const [second, ...older] = await series();
    expect(older.map((a) => a.referenceId)).toEqual([first]);
    expect(second).toMatchObject({
      type: "reminder_send",
      status: "scheduled",
      scheduledFor: "2026-01-12T10:00:00.000Z",
      requester: { id: "u-1", email: "ada@example.com" },
    });
    expect((await p.row(second!.referenceId)).params).toBe((await p.row(first)).params);

    // Ann completes the course in between: the second occurrence skips her.
    await p.db.run(sql`UPDATE enrollments SET status = 'completed' WHERE user_id = ${id("ann@example.com")}`);
    p.clock.set("2026-01-12T10:00:00Z");
    await p.run();
    expect((await p.view(second!.referenceId)).status).toBe("completed");
    expect((await remindersOf(second!.referenceId)).map((r) => r.toAddress)).toEqual([
      "cid@example.com",
      "eve@example.com",
    ]);

    const [third] = await series();
    expect(third).toMatchObject({ status: "scheduled", scheduledFor: "2026-01-19T10:00:00.000Z" });
    const cancel = await p.request(`/v1/actions/${third!.referenceId}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);

    p.clock.set("2026-01-26T10:00:00Z");
    await p.run();
    const after = await series();
    expect(after.map((a) => a.status)).toEqual(["cancelled", "completed", "completed"]);
    expect(await remindersOf(third!.referenceId)).toHaveLength(0);
  });

  test("a crash in the middle resumes where it stopped: every recipient exactly once", async () => {
    const big = await p.seedUsers(manyUsers(1200, "m"));
    const learners = [...big].filter(([email]) => email.startsWith("m")).map(([, uid]) => uid);
    await p.enroll(sec, learners);
    const ref = await p.submit("reminder_send", { course: "SEC-101" });
    const crashed = await p.crashAfterFirstSlice();
    expect(crashed.total).toBe(1203);
    expect(await remindersOf(ref)).toHaveLength(500);
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 1203, processed: 1203, succeeded: 1203, errors: 0, warnings: 0 });
    const sent = await remindersOf(ref);
    expect(sent).toHaveLength(1203);
    expect(new Set(sent.map((r) => r.toAddress)).size).toBe(1203);
  });
});

describe("limits on reminder series and mail (issue 12)", () => {
  const problemsOf = async (res: Response) => {
    expect(res.status).toBe(422);
    return ((await res.json()) as { errors: { path: string; message: string }[] }).errors;
  };

  test("a recurrence that fires more often than REMINDER_MIN_INTERVAL is refused, naming params.recurrence", async () => {
    expect(
      await problemsOf(await p.post("reminder_send", { course: "SEC-101", recurrence: "* * * * * *" })),
    ).toEqual([
      {
        path: "params.recurrence",
        message:
          'params.recurrence "* * * * * *" fires every 1 s at times; a reminder series may fire at most once ' +
          'every 1 h (REMINDER_MIN_INTERVAL). Use a pattern such as "0 9 * * 1" (Mondays at 09:00 UTC).',
      },
    ]);
    // Irregular patterns are judged by their shortest gap: 09:00 and 09:30 every day is 30 min.
    const twice = await problemsOf(
      await p.post("reminder_send", { course: "SEC-101", recurrence: "0,30 9 * * *" }),
    );
    expect(twice.map((e) => e.path)).toEqual(["params.recurrence"]);
    expect(twice[0]!.message).toContain("fires every 30 min at times");
    expect((await p.post("reminder_send", { course: "SEC-101", recurrence: "0 * * * *" })).status).toBe(202);
    expect((await p.post("reminder_send", { course: "SEC-101", recurrence: "0 9 * * 1-5" })).status).toBe(
      202,
    );
  });

  test("the engine never schedules an occurrence sooner than REMINDER_MIN_INTERVAL after the last", async () => {
    const first = await p.submit(
      "reminder_send",
      { course: "SEC-101", recurrence: "0 10 * * *" },
      {
        scheduledFor: "2026-01-05T10:00:00Z",
      },
    );
    // A series written before the limit existed, firing every second.
    const every = JSON.stringify({ course: "SEC-101", recurrence: "* * * * * *" });
    await p.db.update(actions).set({ params: every }).where(eq(actions.referenceId, first));
    p.clock.set("2026-01-05T10:00:00Z");
    await p.run();
    const [next] = await p.db.select().from(actions).where(eq(actions.status, "scheduled"));
    expect(new Date(next!.scheduledFor!).toISOString()).toBe("2026-01-05T11:00:00.000Z");
  });

  test("a series ends after REMINDER_SERIES_MAX occurrences, and its requester is told", async () => {
    await p.stop();
    await seeded({ REMINDER_SERIES_MAX: "2" });
    const first = await p.submit(
      "reminder_send",
      { course: "SEC-101", recurrence: "0 10 * * 1" },
      {
        scheduledFor: "2026-01-05T10:00:00Z",
      },
    );
    p.clock.set("2026-01-05T10:00:00Z");
    await p.run();
    const [second] = await p.db.select().from(actions).where(eq(actions.status, "scheduled"));
    expect(second!.state).toBe('{"occurrence":2}');
    p.clock.set("2026-01-12T10:00:00Z");
    await p.run();
    const all = await p.db.select().from(actions).where(eq(actions.type, "reminder_send"));
    expect(all.map((a) => a.status)).toEqual(["completed", "completed"]); // no third
    expect(await remindersOf(second!.referenceId)).toHaveLength(3);

    const notices = await p.db.select().from(outbox).where(like(outbox.idempotencyKey, "series-end/%"));
    expect(notices.map((n) => [n.idempotencyKey, n.toAddress, n.kind, n.status])).toEqual([
      [`series-end/${second!.referenceId}`, "ada@example.com", "completion", "pending"],
    ]);
    expect(notices[0]!.subject).toBe(`Reminder series ended: "Security <basics>" (${second!.referenceId})`);
    expect(notices[0]!.textBody).toContain("has reached its limit of 2 occurrences");
    expect(notices[0]!.textBody).toContain(`Occurrence ${second!.referenceId} was the last one`);
    expect(first).not.toBe(second!.referenceId);
  });

  test("a learner whose address is not one address gets no email; the report says why", async () => {
    const [bad] = await p.db.all<{ id: number }>(sql`
      INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
      VALUES ('p1', ${"gus@example.com\r\nBcc: all@attacker.example"}, 'Gus', 'G', 'learner', '', 0, 0) RETURNING id`);
    await p.enroll(sec, [bad!.id]);
    const ref = await p.submit("reminder_send", { course: "SEC-101" });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed_with_errors");
    expect(view.progress).toMatchObject({ total: 4, succeeded: 3, errors: 1 });
    expect((await remindersOf(ref)).map((r) => r.toAddress)).toEqual([
      "ann@example.com",
      "cid@example.com",
      "eve@example.com",
    ]);
    const [line] = await p.report(ref);
    expect(line).toEqual([
      4,
      "Error",
      "gus@example.com\\r\\nBcc: all@attacker.example",
      'The learner\'s address "gus@example.com\\r\\nBcc: all@attacker.example" is not one valid email address, so no reminder was sent to them.',
    ]);
  });

  test("MAIL_PORTAL_RATE: a portal's reminders beyond its hourly rate wait their turn", async () => {
    await p.stop();
    await seeded({ MAIL_PORTAL_RATE: "2" });
    const ref = await p.submit("reminder_send", { course: "SEC-101" });
    await p.run();
    const rows = await p.db
      .select()
      .from(outbox)
      .where(like(outbox.idempotencyKey, `reminder/${ref}/%`));
    const t0 = p.clock.now();
    expect(rows.map((r) => r.nextAttemptAt - t0).sort((a, b) => a - b)).toEqual([0, 0, 1_800_000]);
  });
});

describe("the reminder email and the schedule", () => {
  test("the greeting goes between the two halves; all content is escaped in HTML", () => {
    const email = reminderEmail({ code: "C<1>", title: "" }, "<b>hi</b>\nsecond line");
    const greeting = reminderGreeting("Zoë <z>");
    const html = email.html[0] + greeting.html + email.html[1];
    const text = email.text[0] + greeting.text + email.text[1];
    expect(email.subject).toBe('Reminder: please complete "C<1>"');
    expect(text.split("\n")[0]).toBe("Hello Zoë <z>,");
    expect(html).toContain("Hello Zoë &lt;z&gt;,");
    expect(html).toContain("&lt;b&gt;hi&lt;/b&gt;<br>second line");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<!--greeting-->");
  });

  test("the next occurrence is read in UTC, strictly after now", () => {
    const monday9 = Date.parse("2026-01-05T09:00:00Z");
    expect(nextOccurrence("0 10 * * 1", monday9)).toBe(Date.parse("2026-01-05T10:00:00Z"));
    expect(nextOccurrence("0 10 * * 1", Date.parse("2026-01-05T10:00:00Z"))).toBe(
      Date.parse("2026-01-12T10:00:00Z"),
    );
    expect(nextOccurrence("*/30 * * * * *", monday9)).toBe(monday9 + 30_000);
  });
});
