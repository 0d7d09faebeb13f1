/**
 * 6. Mail at the provider's pace: a reminder to 10,000 learners (quick: 2,000) while 50 other portals'
 * actions end (quick: 10), sent by two `ROLE=worker` processes with MAIL_RATE=2 through the real Resend
 * SDK to the local recorder, which limits requests to 2 a second like Resend's default (429 with
 * retry-after and ratelimit-* beyond it). Measured: the time from the reminder's POST to its last email
 * at the provider; each completion email's time from its action's end to the provider; the 429s, the
 * emails given up and the emails delivered twice. Baseline, in the same run: a bare SDK loop sending
 * batches of 100 at exactly 2 requests a second to a fresh recorder (the most the provider allows).
 */
import { join } from "node:path";
import { Resend } from "resend";
import { createDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { type ResendRecorder, startResendRecorder } from "../test/support/resend-recorder";
import {
  freePort,
  logTail,
  removeFolder,
  spawnTracker,
  stopChild,
  tempFolder,
  waitForHttp,
} from "./lib/procs";
import { fmt, type Row, type SectionResult } from "./lib/report";
import { percentile } from "./lib/stats";
import { tokenFor } from "./lib/tracker";

const RATE = 2;
const BATCH = 100;

const tokenOf = (portal: string) => tokenFor(`admin-${portal}`, portal);

/** `count` learners of portal "big" enrolled in its course SAFE-1, written straight into the database. */
async function seed(databaseUrl: string, count: number): Promise<void> {
  const database = createDatabase({ url: databaseUrl });
  try {
    await migrateDatabase(database, databaseUrl);
    const emails = JSON.stringify(Array.from({ length: count }, (_, i) => `learner${i + 1}@big.example`));
    await database.client.execute({
      sql: "INSERT INTO users (portal_id, email, first_name, created_at, updated_at) SELECT 'big', value, 'Learner', 0, 0 FROM json_each(?)",
      args: [emails],
    });
    await database.client.execute(
      "INSERT INTO courses (portal_id, code, title, created_at, updated_at) VALUES ('big', 'SAFE-1', 'Safety first', 0, 0)",
    );
    await database.client.execute(
      "INSERT INTO enrollments (course_id, user_id, status, enrolled_at) SELECT c.id, u.id, 'enrolled', 0 FROM users u, courses c WHERE u.portal_id = 'big' AND c.portal_id = 'big'",
    );
  } finally {
    database.close();
  }
}

async function post(base: string, portal: string, body: object): Promise<string> {
  const res = await fetch(`${base}/v1/actions`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { authorization: `Bearer ${tokenOf(portal)}`, "content-type": "application/json" },
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { referenceId: string }).referenceId;
}

async function completedAt(base: string, portal: string, ref: string): Promise<number> {
  const res = await fetch(`${base}/v1/actions/${ref}`, {
    headers: { authorization: `Bearer ${tokenOf(portal)}` },
  });
  const view = (await res.json()) as { completedAt: string | null };
  return view.completedAt ? Date.parse(view.completedAt) : Number.NaN;
}

/**
 * Emails per second over a run of requests: each request holds one slot of 1/RATE, so the span from the
 * first arrival to the last, plus one slot.
 */
function perSecond(emails: number, arrivals: number[]): number {
  return emails / ((Math.max(...arrivals) - Math.min(...arrivals)) / 1000 + 1 / RATE);
}

/** The most the provider allows: batches of 100 started exactly 1/RATE apart by one bare SDK client. */
async function baselineEmailsPerSecond(batches: number): Promise<{ perSecond: number; rateLimited: number }> {
  const recorder = startResendRecorder({ rate: RATE });
  try {
    const resend = new Resend(recorder.apiKey, { baseUrl: recorder.url });
    const email = (i: number) => ({
      from: "b@bench.example",
      to: `r${i}@bench.example`,
      subject: "s",
      text: "t",
    });
    const started = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let b = 0; b < batches; b++) {
      await Bun.sleep(Math.max(0, started + (b * 1000) / RATE - performance.now()));
      const payload = Array.from({ length: BATCH }, (_, i) => email(b * BATCH + i));
      sends.push(resend.batch.send(payload, { idempotencyKey: `baseline/${b}` }));
    }
    await Promise.all(sends);
    return {
      perSecond: perSecond(
        recorder.emails.length,
        recorder.log.map((r) => r.at),
      ),
      rateLimited: recorder.rateLimited,
    };
  } finally {
    await recorder.stop();
  }
}

export async function benchMail(quick: boolean): Promise<SectionResult> {
  const learners = quick ? 2_000 : 10_000;
  const others = quick ? 10 : 50;
  const spacingMs = 800;
  const dir = tempFolder("mail");
  const databaseUrl = `file:${join(dir, "tracker.db")}`;
  const logs = ["api", "worker-a", "worker-b"].map((name) => join(dir, `${name}.log`));
  let recorder: ResendRecorder | null = null;
  const children: ReturnType<typeof spawnTracker>[] = [];
  try {
    const baseline = await baselineEmailsPerSecond(quick ? 10 : 20);
    await seed(databaseUrl, learners);
    recorder = startResendRecorder({ rate: RATE });
    const mailEnv = {
      RESEND_API_KEY: recorder.apiKey,
      RESEND_BASE_URL: recorder.url,
      MAIL_RATE: String(RATE),
    };
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    children.push(spawnTracker(databaseUrl, port, logs[0]!, { ROLE: "api", ...mailEnv }));
    await waitForHttp(`${base}/healthz`, 20_000, 25, children[0]);
    for (const [i, name] of ["worker-a", "worker-b"].entries()) {
      children.push(
        spawnTracker(databaseUrl, freePort(), logs[i + 1]!, {
          ROLE: "worker",
          ...mailEnv,
          RESEND_USER_AGENT: name,
        }),
      );
    }

    const posted = Date.now();
    await post(base, "big", { type: "reminder_send", params: { course: "SAFE-1" } });
    const completions: { portal: string; ref: string }[] = [];
    for (let i = 1; i <= others; i++) {
      await Bun.sleep(spacingMs);
      const portal = `other${i}`;
      const ref = await post(base, portal, {
        type: "dynamic_rule_start",
        params: { group: "Admins", rule: { attribute: "role", operator: "equals", value: "admin" } },
      });
      completions.push({ portal, ref });
    }
    const expected = learners + others + 1;
    const deadline = performance.now() + (quick ? 60_000 : 150_000);
    while (recorder.emails.length < expected && performance.now() < deadline) await Bun.sleep(100);
    await Bun.sleep(1_500); // a duplicate or a late retry would show here

    const reminders = recorder.emails.filter((e) => e.subject.startsWith("Reminder:"));
    const arrivals = reminders.map((e) => e.at);
    const reminderSeconds = (Math.max(...arrivals) - posted) / 1000;
    const spanSeconds = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    const latencies: number[] = [];
    for (const { portal, ref } of completions) {
      const email = recorder.emails.find((e) => e.subject.includes(ref));
      const ended = await completedAt(base, portal, ref);
      if (email) latencies.push(email.at - ended);
    }
    latencies.sort((a, b) => a - b);
    const p99 = percentile(latencies, 99);
    const keys = recorder.emails.map((e) => `${e.to} ${e.subject}`);
    const twice = keys.length - new Set(keys).size;
    const database = createDatabase({ url: databaseUrl });
    const given = await database.client.execute(
      "SELECT count(*) AS n FROM outbox WHERE status IN ('failed', 'skipped')",
    );
    const waiting = await database.client.execute("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'");
    database.close();
    const givenUp = Number(given.rows[0]!.n);
    const unsent = Number(waiting.rows[0]!.n);
    const requests = recorder.log.length;
    const productPerSecond = perSecond(reminders.length, arrivals);
    const ideal = learners / BATCH / RATE;
    const complete = reminders.length === learners && latencies.length === others && unsent === 0;

    const rows: Row[] = [
      {
        what: `Mail: reminder to ${fmt.int(learners)} learners, 2 worker processes, MAIL_RATE=2: first → last email at the provider`,
        product: `${spanSeconds.toFixed(1)} s, ${reminderSeconds.toFixed(1)} s from the POST (${fmt.int(productPerSecond)} emails/s, ${requests} requests in all)${complete ? "" : `; only ${reminders.length} reminders, ${latencies.length} completion emails arrived`}`,
        baseline: `${fmt.int(baseline.perSecond)} emails/s (bare SDK, 100 per batch at ${RATE}/s)`,
        ratio: fmt.pct(productPerSecond / baseline.perSecond),
        target: `≈ ${ideal} s (${fmt.int(learners)}/100/2): ≥ 90% of baseline`,
        met: complete && productPerSecond >= 0.9 * baseline.perSecond,
      },
      {
        what: `Mail: completion email while the reminders flow, action end → provider (${others} portals): p99`,
        product: `p99 ${fmt.ms(p99)} (p50 ${fmt.ms(percentile(latencies, 50))}, max ${fmt.ms(latencies[latencies.length - 1] ?? Number.NaN)})`,
        baseline: "—",
        ratio: "—",
        target: "p99 ≤ 5 s",
        met: latencies.length === others && p99 <= 5_000,
      },
      {
        what: "Mail: 429s from the provider, emails given up, emails delivered twice",
        product: `${recorder.rateLimited} × 429 (busiest second: ${recorder.busiestWindow(1_000)} requests), ${givenUp} given up, ${twice} twice`,
        baseline: `${baseline.rateLimited} × 429`,
        ratio: "—",
        target: "≤ 5 × 429, 0 given up, 0 twice",
        met: recorder.rateLimited <= 5 && givenUp === 0 && twice === 0 && complete,
      },
    ];
    const notes = [
      `Mail: one \`ROLE=api\` and two \`ROLE=worker\` processes on one database file, RESEND_BASE_URL pointing at a recorder in the bench process that allows ${RATE} requests a second (a token bucket holding ${RATE}) and answers 429 with retry-after beyond it; ${fmt.int(learners)} learners of one portal enrolled in a course, one \`reminder_send\` POSTed, then one \`dynamic_rule_start\` from each of ${others} other portals every ${spacingMs} ms while the reminders flow. Reminder time: from the arrival of the first reminder at the recorder to the last (and from the POST, which adds the action's start and its first slices); emails/s counts each request as one slot of 1/MAIL_RATE, for the product and the baseline alike. Completion latency: arrival of the email at the recorder minus the action's \`completedAt\`. Emails delivered twice: the recorder's accepted emails with the same recipient and subject; given up: outbox rows failed or skipped. The busiest second counts arrivals in any 1,000 ms window: requests started 500 ms apart can land three in one window by arrival jitter, which the provider's bucket (2, refilled at 2 a second) accepts; its 429 count is the verdict. Baseline: one bare \`resend.batch.send\` loop, ${BATCH} emails per request started exactly ${1000 / RATE} ms apart, against a fresh recorder with the same limit (${quick ? 10 : 20} batches).`,
    ];
    return { name: "mail", rows, notes };
  } catch (error) {
    const tails = logs.map((log) => `--- ${log} ---\n${logTail(log)}`).join("\n");
    throw new Error(`${(error as Error).message}\n${tails}`);
  } finally {
    for (const child of children) await stopChild(child);
    await recorder?.stop();
    removeFolder(dir);
  }
}
