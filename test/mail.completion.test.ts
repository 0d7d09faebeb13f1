/** From an action's end to one email at a local Resend recorder, through the real SDK. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { outbox } from "../src/db/schema";
import { deliverOutbox } from "../src/mail/outbox";
import { ResendSender } from "../src/mail/sender";
import { ADA, bearer } from "./support/env";
import { type ResendRecorder, startResendRecorder } from "./support/resend-recorder";
import { startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
let recorder: ResendRecorder;
let sender: ResendSender;
beforeAll(async () => {
  recorder = startResendRecorder();
  sender = new ResendSender(recorder.apiKey, { baseUrl: recorder.url });
  t = await startTestTracker({ PUBLIC_URL: "https://tracker.example.com" });
});
afterAll(async () => {
  await t.stop();
  await recorder.stop();
});

const deliver = () =>
  deliverOutbox({ db: t.db, sender, clock: t.clock, from: "Tracker <tracker@example.com>" });

describe("completion email", () => {
  test("one email with the contract's fields, after a failed first send, and nothing attached", async () => {
    const ref = (
      await (await uploadCsv(t, ADA, "email,first_name,last_name\nbad,B,C\n", "people.csv")).json()
    ).referenceId;
    await t.drain();
    recorder.failNext(1, 500);
    expect(await deliver()).toMatchObject({ sent: 0, retried: 1 });
    t.clock.advance(2_000);
    expect(await deliver()).toMatchObject({ sent: 1 });
    t.clock.advance(60_000);
    expect(await deliver()).toMatchObject({ sent: 0, retried: 0, failed: 0 });
    const mine = recorder.emails.filter((e) => e.subject.includes(ref));
    expect(mine.length).toBe(1);
    const email = mine[0]!;
    expect([email.to].flat()).toEqual(["ada@example.com"]);
    expect(email.subject).toBe(`User upload ${ref}: Completed with errors`);
    const action = await (await t.request(`/v1/actions/${ref}`, { headers: bearer(ADA) })).json();
    for (const part of [
      "User upload",
      "Completed with errors",
      ref,
      "Ada Admin",
      action.completedAt,
      `https://tracker.example.com/?ref=${ref}`,
    ]) {
      expect(email.text).toContain(part);
    }
    expect(email.attachments).toBeUndefined();
    expect(email.text).not.toContain("bad");
    expect(email.idempotencyKey).toBe(`completion/${ref}`);
  });

  test("notify=false: no email at all", async () => {
    const ref = (
      await (await uploadCsv(t, ADA, "email\nquiet@x.com\n", "quiet.csv", { notify: "false" })).json()
    ).referenceId;
    await t.drain();
    const rows = await t.db
      .select()
      .from(outbox)
      .where(eq(outbox.idempotencyKey, `completion/${ref}`));
    expect(rows).toEqual([]);
  });

  test("a cancelled action gets its one email too", async () => {
    const body = {
      type: "dynamic_rule_start",
      params: { group: "G", rule: { attribute: "role", operator: "equals", value: "admin" } },
    };
    const created = await (
      await t.request("/v1/actions", {
        method: "POST",
        body: JSON.stringify(body),
        headers: { ...bearer(ADA), "content-type": "application/json" },
      })
    ).json();
    await t.request(`/v1/actions/${created.referenceId}/cancel`, { method: "POST", headers: bearer(ADA) });
    await deliver();
    expect(
      recorder.emails.filter((e) => e.subject === `Dynamic rule start ${created.referenceId}: Cancelled`)
        .length,
    ).toBe(1);
  });
});
