/**
 * Mail at the provider's pace, in process: a real libSQL file, the real Resend SDK against the local
 * recorder (single and batch endpoints, idempotency keys, scripted 429s), and a ManualClock that waiting
 * for a send slot moves instead of sleeping. Batches of up to 100 with a membership fixed at the first
 * claim, completion emails first, portals' reminders interleaved, a portal's mail rate, one pace shared
 * by every deliverer, and 429s that are waited out without counting as attempts.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { asc, sql } from "drizzle-orm";
import { createDatabase, type Db } from "../src/db/client";
import { outbox } from "../src/db/schema";
import type { ManualClock } from "../src/lib/clock";
import {
  completionEmailRow,
  outboxInsert,
  type ReminderRecipient,
  reminderInserts,
} from "../src/mail/enqueue";
import { type DeliverOptions, deliverOutbox, OUTBOX_LEASE_MS, type RetryPolicy } from "../src/mail/outbox";
import { readPace, SendPace } from "../src/mail/pace";
import { reminderEmail } from "../src/mail/reminder-template";
import { type MailSender, ResendSender } from "../src/mail/sender";
import { type MailSetup, mailSetup } from "./support/mail-setup";
import type { ResendRecorder } from "./support/resend-recorder";

const FROM = "Action tracker <tracker@example.com>";
const REMINDER = reminderEmail({ code: "SEC-101", title: "Security basics" });

let url: string;
let db: Db;
let recorder: ResendRecorder;
let clock: ManualClock;
let setup: MailSetup;

beforeEach(async () => {
  setup = await mailSetup("mail-batch-test-");
  ({ url, db, recorder, clock } = setup);
});
afterEach(() => setup.close());

const resend = () => new ResendSender(recorder.apiKey, { baseUrl: recorder.url });
const sleep = async (ms: number) => clock.advance(ms);

function deliver(
  options: DeliverOptions & { sender?: MailSender; retry?: RetryPolicy; rate?: number; on?: Db } = {},
) {
  const { sender = resend(), retry, rate = 2, on = db, ...rest } = options;
  return deliverOutbox({ db: on, sender, clock, from: FROM, rate, sleep, ...(retry ? { retry } : {}) }, rest);
}

let nextUser = 1;
/** `count` reminders of one action of `portal`, written as the reminder handler writes a slice. */
async function remind(
  portal: string,
  count: number,
  ref = `BA-${portal.toUpperCase()}`,
  portalRate = 60_000,
) {
  const recipients: ReminderRecipient[] = Array.from({ length: count }, () => {
    const user = nextUser++;
    return [user, `${portal}-${user}@example.com`, "Hello,", "Hello,"];
  });
  await db.batch(
    reminderInserts(db, {
      actionId: 1,
      referenceId: ref,
      portalId: portal,
      now: clock.now(),
      email: REMINDER,
      recipients,
      portalRatePerHour: portalRate,
    }),
  );
}

async function complete(ref: string, portal = "p9", to = `${ref.toLowerCase()}@example.com`) {
  const row = completionEmailRow({
    actionId: 2,
    portalId: portal,
    action: {
      referenceId: ref,
      type: "user_upload",
      typeLabel: "User upload",
      status: "completed",
      statusLabel: "Completed",
      requester: { name: "Ada", email: to },
      completedAt: new Date(clock.now()).toISOString(),
    },
    publicUrl: "https://tracker.example.com",
    now: clock.now(),
  });
  await db.batch([outboxInsert(db, row)]);
}

const rows = () => db.select().from(outbox).orderBy(asc(outbox.id));
const addressesOf = (request: number) =>
  recorder.emails.filter((e) => e.request === request).map((e) => String(e.to));

describe("batches", () => {
  test("reminders go out in batches of up to 100 through POST /emails/batch, each email once", async () => {
    await remind("p1", 250);
    const report = await deliver();
    expect(report).toEqual({ sent: 250, retried: 0, failed: 0, throttled: 0, requests: 3 });
    expect(recorder.log.map((r) => [r.path, r.emails, r.status])).toEqual([
      ["/emails/batch", 100, 200],
      ["/emails/batch", 100, 200],
      ["/emails/batch", 50, 200],
    ]);
    expect(new Set(recorder.emails.map((e) => e.to)).size).toBe(250);
    const all = await rows();
    expect(all.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
    // Each email's provider id is the one the provider gave it, and its key is its request's.
    const byTo = new Map(recorder.emails.map((e) => [String(e.to), e]));
    for (const row of all) {
      expect(row.providerId).toBe(byTo.get(row.toAddress)!.id);
      expect(row.batchKey).toBe(byTo.get(row.toAddress)!.idempotencyKey);
    }
    expect(new Set(all.map((r) => r.batchKey)).size).toBe(3);
  });

  test("a failed batch is retried with the same members and key, even after more emails arrived", async () => {
    await remind("p1", 150);
    recorder.failNext(1, 500);
    expect(await deliver()).toMatchObject({ sent: 50, retried: 100, requests: 2 });
    const first = recorder.log[0]!;
    const members = (await rows()).filter((r) => r.batchKey === first.idempotencyKey);
    expect(members).toHaveLength(100);

    await remind("p1", 30, "BA-LATER"); // new reminders and a completion email come in meanwhile
    await complete("BA-DONE");
    clock.advance(2_000);
    expect(await deliver()).toMatchObject({ sent: 131, retried: 0, failed: 0, requests: 2 });
    // The completion email went first, in a new unit with the new reminders; then the failed unit again.
    expect(recorder.log.slice(2).map((r) => [r.emails, r.idempotencyKey === first.idempotencyKey])).toEqual([
      [31, false],
      [100, true],
    ]);
    expect(addressesOf(2)).toContain("ba-done@example.com");
    expect(addressesOf(3).sort()).toEqual(members.map((m) => m.toAddress).sort());
    expect(new Set(recorder.emails.map((e) => e.to)).size).toBe(181);
    expect(recorder.emails).toHaveLength(181);
  });

  test("a crash between the send and the record: the same request again, and nothing is sent twice", async () => {
    await remind("p1", 120);
    const real = resend();
    const crashing: MailSender = {
      async send(emails, key) {
        await real.send(emails, key);
        throw new Error("process killed before recording");
      },
    };
    await expect(deliver({ sender: crashing })).rejects.toThrow("process killed");
    const stranded = (await rows()).filter((r) => r.status === "sending");
    expect(stranded).toHaveLength(100);

    clock.advance(OUTBOX_LEASE_MS);
    expect(await deliver()).toMatchObject({ sent: 120, failed: 0, requests: 2 });
    expect(recorder.log.map((r) => [r.emails, r.replayed])).toEqual([
      [100, false],
      [100, true],
      [20, false],
    ]);
    expect(recorder.emails).toHaveLength(120);
    expect(recorder.log[1]!.idempotencyKey).toBe(recorder.log[0]!.idempotencyKey);
    const after = await rows();
    expect(after.every((r) => r.status === "sent")).toBe(true);
    expect(after.filter((r) => r.attempts === 2)).toHaveLength(100);
  });

  test("a batch the provider refuses is split: only the email at fault fails", async () => {
    await remind("p1", 4);
    // An address that escaped every check (written before checks existed): Resend refuses the batch.
    await db.run(sql`UPDATE outbox SET to_address = 'not an address' WHERE id = 2`);
    const report = await deliver();
    expect(report).toMatchObject({ sent: 3, failed: 1, requests: 5 });
    expect(recorder.log.map((r) => [r.path, r.status])).toEqual([
      ["/emails/batch", 422],
      ["/emails", 200],
      ["/emails", 422],
      ["/emails", 200],
      ["/emails", 200],
    ]);
    const bad = (await rows()).find((r) => r.id === 2)!;
    expect(bad).toMatchObject({ status: "failed", batchKey: bad.idempotencyKey });
    expect(bad.lastError).toContain("422");
  });
});

describe("what goes first", () => {
  test("completion emails go before reminders, riding in the next request", async () => {
    await remind("p1", 150);
    await complete("BA-ONE");
    await complete("BA-TWO", "p8");
    await deliver({ limit: 1 });
    const first = addressesOf(0);
    expect(first).toHaveLength(100);
    expect(first).toEqual(expect.arrayContaining(["ba-one@example.com", "ba-two@example.com"]));
  });

  test("a lone completion email goes on its own, under its own key", async () => {
    await complete("BA-SOLO");
    await deliver();
    expect(recorder.log.map((r) => [r.path, r.idempotencyKey])).toEqual([["/emails", "completion/BA-SOLO"]]);
  });

  test("one portal's large series does not hold back another portal's reminders", async () => {
    await remind("big", 500);
    await remind("small", 20);
    await deliver({ limit: 1 });
    const first = addressesOf(0);
    expect(first.filter((to) => to.startsWith("small-"))).toHaveLength(20);
    expect(first.filter((to) => to.startsWith("big-"))).toHaveLength(80);
  });

  test("beyond MAIL_PORTAL_RATE an hour, a portal's reminders wait their turn, in order", async () => {
    const t0 = clock.now();
    await remind("p1", 150, "BA-RATE", 100);
    const due = (await rows()).map((r) => r.nextAttemptAt - t0);
    expect(due.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(due.slice(100, 103)).toEqual([36_000, 72_000, 108_000]);
    expect(due[149]).toBe(50 * 36_000);

    expect(await deliver()).toMatchObject({ sent: 100, requests: 1 });
    clock.set(t0 + 36_000);
    expect(await deliver()).toMatchObject({ sent: 1, requests: 1 });
    // The portal's next reminders queue after these.
    await remind("p1", 1, "BA-RATE2", 100);
    const [last] = await db.select().from(outbox).orderBy(sql`${outbox.id} DESC`).limit(1);
    expect(last!.nextAttemptAt - t0).toBe(51 * 36_000);
  });
});

describe("one pace for every deliverer", () => {
  test("two connections share one pace: slots are at least 1/MAIL_RATE apart, whoever takes them", async () => {
    const other = createDatabase({ url });
    const granted: { at: number; by: string }[] = [];
    const taker = async (pace: SendPace, by: string) => {
      while (granted.length < 12) {
        const at = clock.now();
        if ((await pace.take(at)) === 0) granted.push({ at, by });
        else clock.advance(10);
      }
    };
    try {
      await Promise.all([taker(new SendPace(db, 4), "a"), taker(new SendPace(other.db, 4), "b")]);
    } finally {
      other.close();
    }
    expect(new Set(granted.map((g) => g.by))).toEqual(new Set(["a", "b"]));
    const times = granted.map((g) => g.at).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
  });

  test("two deliverers on two connections share the work and send each email once", async () => {
    for (let i = 0; i < 12; i++) await complete(`BA-P${i}`);
    const other = createDatabase({ url });
    const by: string[] = [];
    const tagged = (name: string): MailSender => {
      const real = resend();
      return {
        send(emails, key) {
          by.push(name);
          return real.send(emails, key);
        },
      };
    };
    try {
      const [a, b] = await Promise.all([
        deliver({ sender: tagged("a"), rate: 4, batchSize: 1 }),
        deliver({ sender: tagged("b"), rate: 4, batchSize: 1, on: other.db }),
      ]);
      expect(a.sent + b.sent).toBe(12);
    } finally {
      other.close();
    }
    expect(new Set(by)).toEqual(new Set(["a", "b"]));
    expect(recorder.requests).toBe(12);
    expect(new Set(recorder.emails.map((e) => e.to)).size).toBe(12);
  });

  test("a 429 is no attempt: every deliverer waits as retry-after says, slower for a while, nothing given up", async () => {
    await remind("p1", 10);
    recorder.failNext(2, 429, undefined, { "retry-after": "7", "ratelimit-reset": "7" });
    const t0 = clock.now();
    const report = await deliver({ retry: { maxAttempts: 1, delayMs: () => 1_000 } });
    expect(report).toEqual({ sent: 10, retried: 0, failed: 0, throttled: 2, requests: 3 });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(14_000);
    expect((await rows()).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
    // Each 429 halved the pace (2 → 1, 1.2 → 0.6); each slot taken raises it by a tenth of MAIL_RATE.
    expect((await readPace(db))!.pace).toBeCloseTo(0.8, 5);
  });

  test("a request still in flight elsewhere (409): that unit waits alone, other mail goes on, the pace stays", async () => {
    await remind("p1", 150);
    recorder.failNext(1, 409, {
      statusCode: 409,
      name: "concurrent_idempotent_requests",
      message: "in flight",
    });
    expect(await deliver()).toEqual({ sent: 50, retried: 0, failed: 0, throttled: 1, requests: 2 });
    expect((await readPace(db))!.pace).toBe(2);
    clock.advance(1_000);
    expect(await deliver()).toMatchObject({ sent: 100, requests: 1 });
    expect((await rows()).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
    expect(recorder.log[2]!.idempotencyKey).toBe(recorder.log[0]!.idempotencyKey);
  });

  test("a stale deliverer cannot overwrite the unit that another one took over", async () => {
    await remind("p1", 3);
    let inner: Awaited<ReturnType<typeof deliver>> | null = null;
    const slow: MailSender = {
      async send() {
        // Its lease runs out while it sends; another deliverer takes the unit over and sends it.
        clock.advance(OUTBOX_LEASE_MS);
        inner = await deliver();
        return { ok: false, outcome: "transient", error: "timed out" };
      },
    };
    const outer = await deliver({ sender: slow });
    expect(inner).toMatchObject({ sent: 3, requests: 1 });
    expect(outer).toMatchObject({ sent: 0, retried: 0, failed: 0, requests: 1 });
    expect((await rows()).every((r) => r.status === "sent" && r.attempts === 2)).toBe(true);
  });
});
