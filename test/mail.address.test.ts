/**
 * Hostile input (issue 12): a token whose `email` claim holds CR/LF and a `Bcc:` line. The token itself
 * is valid (auth does not judge the claim); what matters is that the address is checked where an email is
 * written to the outbox. The person's action works; its completion email is recorded as invalid, logged
 * once with the reason, and never reaches the mail provider (the real SDK against the local recorder).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { outbox } from "../src/db/schema";
import { outboxBacklog } from "../src/mail/backlog";
import { deliverOutbox } from "../src/mail/outbox";
import { ResendSender } from "../src/mail/sender";
import { ADA, BOB, type Person } from "./support/env";
import { type ResendRecorder, startResendRecorder } from "./support/resend-recorder";
import { getAction, postJson, startTestTracker, type TestTracker } from "./support/tracker";

const HOSTILE: Person = { ...BOB, email: "bob@example.com\r\nBcc: everyone@attacker.example" };

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

const ruleAction = {
  type: "dynamic_rule_start",
  params: { group: "Admins", rule: { attribute: "role", operator: "equals", value: "admin" } },
};

test("an email claim with CR/LF and a Bcc: line: the action works, its email is skipped with a logged reason", async () => {
  const hostile = await postJson(t, HOSTILE, ruleAction);
  expect(hostile.status).toBe(202);
  const ref = (await hostile.json()).referenceId as string;
  const fine = (
    await (await postJson(t, ADA, { ...ruleAction, params: { ...ruleAction.params, group: "A2" } })).json()
  ).referenceId as string;
  await t.drain();
  expect((await getAction(t, HOSTILE, ref)).status).toBe("completed");

  const [row] = await t.db
    .select()
    .from(outbox)
    .where(eq(outbox.idempotencyKey, `completion/${ref}`));
  expect(row).toMatchObject({ status: "invalid", toAddress: HOSTILE.email });
  expect(row!.lastError).toBe(
    'Not sent: the address "bob@example.com\\r\\nBcc: everyone@attacker.example" is not one valid email address.',
  );

  const lines: Record<string, unknown>[] = [];
  const report = await deliverOutbox({
    db: t.db,
    sender: new ResendSender(recorder.apiKey, { baseUrl: recorder.url }),
    clock: t.clock,
    from: "Tracker <tracker@example.com>",
    log: (line) => lines.push(line as Record<string, unknown>),
    sleep: async (ms) => t.clock.advance(ms),
  });
  expect(report).toMatchObject({ sent: 1, requests: 1 });
  expect(recorder.emails.map((e) => [e.to, e.idempotencyKey])).toEqual([
    ["ada@example.com", `completion/${fine}`],
  ]);
  expect(recorder.emails.some((e) => JSON.stringify(e.payload).includes("attacker"))).toBe(false);

  const skipped = lines.filter((l) => l.msg === "outbox.skipped");
  expect(skipped).toEqual([
    expect.objectContaining({
      idempotencyKey: `completion/${ref}`,
      to: '"bob@example.com\\r\\nBcc: everyone@attacker.example"',
      reason: row!.lastError,
    }),
  ]);
  const [after] = await t.db
    .select()
    .from(outbox)
    .where(eq(outbox.idempotencyKey, `completion/${ref}`));
  expect(after!.status).toBe("skipped");
  expect((await outboxBacklog(t.db)).byKind.completion).toMatchObject({ waiting: 0, skipped: 1, failed: 0 });

  // Logged once: later runs neither log it again nor send it.
  lines.length = 0;
  await deliverOutbox({
    db: t.db,
    sender: new ResendSender(recorder.apiKey, { baseUrl: recorder.url }),
    clock: t.clock,
    from: "Tracker <tracker@example.com>",
    log: (line) => lines.push(line as Record<string, unknown>),
  });
  expect(lines).toEqual([]);
  expect(recorder.requests).toBe(1);
});
