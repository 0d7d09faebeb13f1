/**
 * The outbox against a real libSQL file and the real Resend SDK, pointed at a local recorder
 * through RESEND_BASE_URL. Time is a ManualClock: retries and leases are reached by advancing it.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createDatabase, type Db } from "../src/db/client";
import { outbox } from "../src/db/schema";
import type { ManualClock } from "../src/lib/clock";
import { outboxBacklog } from "../src/mail/backlog";
import { completionEmailRow, outboxInsert } from "../src/mail/enqueue";
import {
  type DeliverOptions,
  defaultRetryPolicy,
  deliverOutbox,
  OUTBOX_LEASE_MS,
  type RetryPolicy,
} from "../src/mail/outbox";
import { createMailSender, type MailSender, ResendSender } from "../src/mail/sender";
import type { CompletionEmailAction } from "../src/mail/template";
import { type MailSetup, mailSetup } from "./support/mail-setup";
import { type ResendRecorder, startResendRecorder } from "./support/resend-recorder";

const FROM = "Action tracker <tracker@example.com>";
const PUBLIC_URL = "https://tracker.example.com";
const action: CompletionEmailAction = {
  referenceId: "BA-7K3Q9X2M",
  type: "user_upload",
  typeLabel: "User upload",
  status: "completed_with_errors",
  statusLabel: "Completed with errors",
  requester: { name: "Ada Admin", email: "ada@example.com" },
  completedAt: "2026-01-05T08:59:58.000Z",
};

let url: string;
let db: Db;
let recorder: ResendRecorder;
let clock: ManualClock;
let setup: MailSetup;
const previousBaseUrl = process.env.RESEND_BASE_URL;

beforeEach(async () => {
  setup = await mailSetup("outbox-test-");
  ({ url, db, recorder, clock } = setup);
  // The SDK reads RESEND_BASE_URL when it is constructed, so set it before any ResendSender exists.
  process.env.RESEND_BASE_URL = recorder.url;
});

afterEach(async () => {
  await setup.close();
  if (previousBaseUrl === undefined) delete process.env.RESEND_BASE_URL;
  else process.env.RESEND_BASE_URL = previousBaseUrl;
});

const resend = () => new ResendSender(recorder.apiKey);

async function enqueue(referenceId = action.referenceId, actionId = 1): Promise<void> {
  const row = completionEmailRow({
    actionId,
    action: { ...action, referenceId },
    publicUrl: PUBLIC_URL,
    now: clock.now(),
  });
  await db.batch([outboxInsert(db, row)]);
}

/** Waiting for a send slot moves the test's clock instead of sleeping. */
const sleep = async (ms: number) => clock.advance(ms);

function deliver(sender: MailSender = resend(), retry?: RetryPolicy, options?: DeliverOptions, on: Db = db) {
  return deliverOutbox({ db: on, sender, clock, from: FROM, sleep, ...(retry ? { retry } : {}) }, options);
}

/** What a run reported, for one email sent on its own. */
const one = (counts: Partial<Record<"sent" | "retried" | "failed" | "throttled", number>>) => ({
  sent: 0,
  retried: 0,
  failed: 0,
  throttled: 0,
  requests: 1,
  ...counts,
});
const nothing = { sent: 0, retried: 0, failed: 0, throttled: 0, requests: 0 };

async function theRow() {
  const rows = await db.select().from(outbox);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe("deliverOutbox", () => {
  test("sends one email with every field of the contract and no attachment", async () => {
    await enqueue();
    await enqueue(); // the same action twice: the key makes the second insert a no-op
    expect(await deliver()).toEqual(one({ sent: 1 }));

    expect(recorder.emails).toHaveLength(1);
    const email = recorder.emails[0]!;
    expect(email).toMatchObject({
      from: FROM,
      to: "ada@example.com",
      idempotencyKey: "completion/BA-7K3Q9X2M",
    });
    expect(email.subject).toBe("User upload BA-7K3Q9X2M: Completed with errors");
    for (const part of [
      "User upload",
      "Completed with errors",
      "BA-7K3Q9X2M",
      "Ada Admin",
      "ada@example.com",
    ]) {
      expect(email.text).toContain(part);
      expect(email.html).toContain(part);
    }
    expect(email.text).toContain("2026-01-05T08:59:58.000Z");
    expect(email.text).toContain(`${PUBLIC_URL}/?ref=BA-7K3Q9X2M`);
    expect(email.attachments).toBeUndefined();

    const row = await theRow();
    expect(row).toMatchObject({ status: "sent", attempts: 1, providerId: email.id, sentAt: clock.now() });
    expect(await deliver()).toEqual(nothing);
    expect(recorder.requests).toBe(1);
  });

  test("a 500 is retried 2 s later and the email goes out once", async () => {
    await enqueue();
    recorder.failNext(1, 500);
    expect(await deliver()).toEqual(one({ retried: 1 }));
    let row = await theRow();
    expect(row).toMatchObject({ status: "pending", attempts: 1, nextAttemptAt: clock.now() + 2_000 });
    expect(row.lastError).toContain("500");

    expect(await deliver()).toEqual(nothing); // not due yet
    clock.advance(2_000);
    expect(await deliver()).toEqual(one({ sent: 1 }));
    row = await theRow();
    expect(row).toMatchObject({ status: "sent", attempts: 2, lastError: null });
    expect(recorder.emails).toHaveLength(1);
    expect(recorder.requests).toBe(2);
  });

  test("a dropped connection is retried", async () => {
    await enqueue();
    recorder.dropNext(1);
    expect(await deliver()).toEqual(one({ retried: 1 }));
    expect((await theRow()).lastError).toContain("no status");
    clock.advance(2_000);
    expect(await deliver()).toEqual(one({ sent: 1 }));
    expect(recorder.emails).toHaveLength(1);
  });

  test("an answer lost after Resend accepted the email is not sent twice", async () => {
    await enqueue();
    recorder.dropNext(1, { afterAccept: true });
    await deliver();
    clock.advance(2_000);
    expect(await deliver()).toEqual(one({ sent: 1 }));
    expect(recorder.requests).toBe(2);
    expect(recorder.emails).toHaveLength(1);
    expect((await theRow()).providerId).toBe(recorder.emails[0]!.id);
  });

  test("a 422 is final at once and says why", async () => {
    await enqueue();
    recorder.failNext(1, 422);
    expect(await deliver()).toEqual(one({ failed: 1 }));
    const row = await theRow();
    expect(row.status).toBe("failed");
    expect(row.lastError).toContain("422 validation_error");
    clock.advance(3_600_000);
    await deliver();
    expect(recorder.requests).toBe(1);
    expect(recorder.emails).toHaveLength(0);
  });

  test("gives up after maxAttempts transient failures", async () => {
    await enqueue();
    recorder.failNext(10, 503);
    const retry: RetryPolicy = { maxAttempts: 3, delayMs: () => 1_000 };
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await deliver(resend(), retry);
      outcomes.push(report.failed ? "failed" : report.retried ? "retried" : "none");
      clock.advance(1_000);
    }
    expect(outcomes).toEqual(["retried", "retried", "failed"]);
    const row = await theRow();
    expect(row).toMatchObject({ status: "failed", attempts: 3 });
    expect(row.lastError).toContain("gave up after 3 attempts");
    await deliver(resend(), retry);
    expect(recorder.requests).toBe(3);
  });

  test("default backoff: 2 s, then doubling, capped at 5 minutes", () => {
    expect([1, 2, 3, 4].map((n) => defaultRetryPolicy.delayMs(n))).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(defaultRetryPolicy.delayMs(30)).toBe(300_000);
    expect(defaultRetryPolicy.maxAttempts).toBe(20);
  });

  test("a crash after sending: the lease brings the row back and Resend dedupes on the key", async () => {
    await enqueue();
    const real = resend();
    const crashing: MailSender = {
      async send(emails, key) {
        await real.send(emails, key);
        throw new Error("process killed before recording");
      },
    };
    await expect(deliver(crashing)).rejects.toThrow("process killed");
    expect((await theRow()).status).toBe("sending");

    expect(await deliver()).toEqual(nothing); // the lease still holds
    expect(recorder.requests).toBe(1);

    clock.advance(OUTBOX_LEASE_MS);
    expect(await deliver()).toEqual(one({ sent: 1 }));
    expect(recorder.requests).toBe(2);
    expect(recorder.emails).toHaveLength(1);
    expect(await theRow()).toMatchObject({ status: "sent", attempts: 2, providerId: recorder.emails[0]!.id });
  });

  test("two deliverers on two connections never send the same email", async () => {
    for (let i = 0; i < 8; i++) await enqueue(`BA-CONC${i}`, i + 1);
    const other = createDatabase({ url });
    recorder.setLatency(10);
    const drain = async (on: Db) => {
      let sent = 0;
      for (;;) {
        // One email per request here, so that both deliverers get some.
        const report = await deliver(resend(), undefined, { limit: 2, batchSize: 1 }, on);
        if (report.sent === 0) return sent;
        sent += report.sent;
      }
    };
    try {
      const [a, b] = await Promise.all([drain(db), drain(other.db)]);
      expect(a > 0 && b > 0).toBe(true); // both really took part
      expect(a + b).toBe(8);
    } finally {
      other.close();
    }
    expect(recorder.requests).toBe(8);
    expect(new Set(recorder.emails.map((e) => e.idempotencyKey)).size).toBe(8);
    const rows = await db.select().from(outbox);
    expect(rows.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  test("without RESEND_API_KEY the email is logged, recorded as sent, and nothing goes over HTTP", async () => {
    await enqueue();
    const lines: object[] = [];
    const sender = createMailSender({ RESEND_API_KEY: undefined }, (line) => lines.push(line));
    expect(await deliver(sender)).toEqual(one({ sent: 1 }));
    const row = await theRow();
    expect(row.status).toBe("sent");
    expect(row.providerId).toMatch(/^logged-\d+$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ to: "ada@example.com", subject: row.subject });
    expect(recorder.requests).toBe(0);
  });

  test("outboxBacklog counts unsent emails and the age of the oldest", async () => {
    await enqueue("BA-OLD");
    clock.advance(5_000);
    await enqueue("BA-NEW", 2);
    expect(await outboxBacklog(db, clock.now())).toMatchObject({
      pending: 2,
      oldestAgeMs: 5_000,
      failed: 0,
      byKind: { completion: { waiting: 2, oldestAgeMs: 5_000, failed: 0, skipped: 0 } },
    });
    recorder.failNext(2, 403);
    await deliver();
    expect(await outboxBacklog(db, clock.now())).toMatchObject({
      pending: 0,
      oldestAgeMs: null,
      failed: 2,
      byKind: { completion: { waiting: 0, failed: 2 }, reminder: { waiting: 0, failed: 0 } },
    });
  });
});

describe("ResendSender classification (real SDK, recorder)", () => {
  const email = { from: FROM, to: "ada@example.com", subject: "s", text: "t", html: "<p>t</p>" };
  const cases: [number, string | undefined, string][] = [
    [500, undefined, "transient"],
    [503, undefined, "transient"],
    [429, undefined, "throttled"],
    [409, "concurrent_idempotent_requests", "busy"],
    [409, "invalid_idempotent_request", "permanent"],
    [422, undefined, "rejected"],
    [400, undefined, "rejected"],
    [403, undefined, "permanent"],
  ];
  for (const [status, name, outcome] of cases) {
    test(`${status} ${name ?? ""} → ${outcome}`, async () => {
      recorder.failNext(1, status, name ? { statusCode: status, name, message: "scripted" } : undefined);
      const result = await resend().send([email], `k-${status}`);
      expect(result).toMatchObject({ ok: false, outcome });
    });
  }

  test("a 429 beyond the rate says how long to wait, from retry-after", async () => {
    const limited = startResendRecorder({ rate: 1 });
    try {
      const sender = new ResendSender(limited.apiKey, { baseUrl: limited.url });
      expect((await sender.send([email], "r-1")).ok).toBe(true);
      const second = await sender.send([email], "r-2");
      expect(second).toMatchObject({ ok: false, outcome: "throttled", waitMs: 1_000 });
      expect(limited.rateLimited).toBe(1);
      expect(limited.log.map((r) => r.status)).toEqual([200, 429]);
    } finally {
      await limited.stop();
    }
  });

  test("a wrong API key is permanent", async () => {
    const result = await new ResendSender("re_wrong").send([email], "k");
    expect(result).toMatchObject({ ok: false, outcome: "permanent" });
  });

  test("nothing listening is a retryable network error, not an exception", async () => {
    const sender = new ResendSender("re_x", { baseUrl: "http://127.0.0.1:9" });
    const result = await sender.send([email], "k");
    expect(result).toMatchObject({ ok: false, outcome: "transient" });
  });

  test("the same key with another payload is refused, as Resend does", async () => {
    expect((await resend().send([email], "same")).ok).toBe(true);
    const again = await resend().send([{ ...email, subject: "other" }], "same");
    expect(again).toMatchObject({ ok: false, outcome: "permanent" });
    expect(recorder.emails).toHaveLength(1);
  });
});
