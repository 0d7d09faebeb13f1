/**
 * `/metrics` shows the outbox's backlog by kind and the send rate: a reminder and some completion emails
 * on the real app and engine, part of them delivered through the real SDK to the local recorder.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { deliverOutbox } from "../src/mail/outbox";
import { ResendSender } from "../src/mail/sender";
import { ADA, BOB, EVE } from "./support/env";
import { type ResendRecorder, startResendRecorder } from "./support/resend-recorder";
import { postJson, startTestTracker, type TestTracker } from "./support/tracker";

let t: TestTracker;
let recorder: ResendRecorder;
beforeAll(async () => {
  recorder = startResendRecorder();
  t = await startTestTracker();
});
afterAll(async () => {
  await t.stop();
  await recorder.stop();
});

test("/metrics: the outbox backlog by kind, emails sent per second and the shared send pace", async () => {
  const { db } = t;
  const learners = JSON.stringify(Array.from({ length: 150 }, (_, i) => `l${i}@example.com`));
  await db.run(sql`INSERT INTO users (portal_id, email, created_at, updated_at)
    SELECT 'p1', value, 0, 0 FROM json_each(${learners})`);
  await db.run(
    sql`INSERT INTO courses (portal_id, code, title, created_at, updated_at) VALUES ('p1', 'C-1', 'C', 0, 0)`,
  );
  await db.run(sql`INSERT INTO enrollments (course_id, user_id, enrolled_at) SELECT 1, id, 0 FROM users`);
  expect((await postJson(t, ADA, { type: "reminder_send", params: { course: "C-1" } })).status).toBe(202);
  const rule = { group: "G", rule: { attribute: "role", operator: "equals", value: "admin" } };
  for (const who of [BOB, EVE]) {
    expect((await postJson(t, who, { type: "dynamic_rule_start", params: rule })).status).toBe(202);
  }
  await t.drain();

  const metrics = async () => (await (await t.request("/metrics")).text()).split("\n");
  const before = await metrics();
  expect(before).toContain('tracker_outbox_backlog{kind="completion"} 3');
  expect(before).toContain('tracker_outbox_backlog{kind="reminder"} 150');
  expect(before).toContain('tracker_mail_sent_per_second{kind="reminder"} 0');
  expect(before).toContain("tracker_mail_pace_requests_per_second 0");

  // One request: the three completion emails and 97 reminders.
  t.clock.advance(10_000);
  await deliverOutbox(
    {
      db,
      sender: new ResendSender(recorder.apiKey, { baseUrl: recorder.url }),
      clock: t.clock,
      from: "T <t@x.co>",
    },
    { limit: 1 },
  );
  const after = await metrics();
  expect(after).toContain('tracker_outbox_backlog{kind="completion"} 0');
  expect(after).toContain('tracker_outbox_backlog{kind="reminder"} 53');
  expect(after).toContain('tracker_outbox_backlog_oldest_age_seconds{kind="reminder"} 10');
  expect(after).toContain('tracker_mail_sent_per_second{kind="completion"} 0.05');
  expect(after).toContain(`tracker_mail_sent_per_second{kind="reminder"} ${97 / 60}`);
  expect(after).toContain("tracker_mail_pace_requests_per_second 2");
});
