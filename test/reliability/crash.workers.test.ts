/**
 * Crashes: a worker process killed with SIGKILL at 20 random moments (40 with RELIABILITY_FULL=1) while
 * user CSVs, history CSVs and content packages are processed; after each kill another worker process
 * resumes. Moments are drawn from a printed seed (RELIABILITY_SEED replays them): some a random time
 * after the worker claimed an action (mid-slice, mid-commit, at the end batch), some a random time after
 * it started (start-up, waiting for the dead lease, delivering mail). At the end every action has exact
 * counts, a report with each problem row once, one event per status, its data written once, and the
 * requester got exactly one email per action (through the real Resend SDK, against a local recorder).
 */
import { afterAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { ADA, bearer } from "../support/env";
import { type ResendRecorder, startResendRecorder } from "../support/resend-recorder";
import {
  type Child,
  Cluster,
  FULL,
  log,
  runSeed,
  seededRandom,
  sharedDatabase,
  until,
} from "./support/harness";
import {
  type CsvUpload,
  type Expected,
  historyUpload,
  type PackageUpload,
  packageUpload,
  seedHistoryPortal,
  userUpload,
} from "./support/inputs";
import { actionByRef, differences } from "./support/verify";

const KILLS = FULL ? 40 : 20;
const USER_ROWS = FULL ? 100_000 : 30_000;
const HISTORY_ROWS = FULL ? 60_000 : 20_000;
const PACKAGES = FULL ? 20 : 6;
/** A lease dies this many times at most per action (the engine gives up on the 5th: MAX_LEASE_ATTEMPTS). */
const MAX_KILLS_PER_ACTION = 3;

const cluster = new Cluster();
let recorder: ResendRecorder | undefined;
afterAll(async () => {
  await cluster.cleanup();
  await recorder?.stop();
});

interface Submitted {
  ref: string;
  type: string;
  expected: Expected;
  upload: CsvUpload | PackageUpload;
  hits: number;
}

test(`a worker killed with SIGKILL at ${KILLS} random moments: every action exact, every email once`, async () => {
  const seed = runSeed("crash.workers");
  const random = seededRandom(seed);
  recorder = startResendRecorder();
  const dir = cluster.tempDir();
  const { url, database } = await sharedDatabase(cluster, dir);
  const { db } = database;
  await seedHistoryPortal(db, ADA.portal);
  const env = {
    DATABASE_URL: url,
    RESEND_API_KEY: recorder.apiKey,
    RESEND_BASE_URL: recorder.url,
    WORKER_LEASE: "1s",
    // One action at a time per worker, so a kill interrupts one action and its attempts stay counted.
    WORKER_CONCURRENCY: "1",
  };
  const api = await cluster.start({ ...env, ROLE: "api" });
  const submitted: Submitted[] = [];
  let round = 0;

  const submit = async (form: FormData, upload: CsvUpload | PackageUpload, type: string) => {
    const res = await fetch(`${api.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
    expect(res.status).toBe(202);
    const view = (await res.json()) as { referenceId: string };
    submitted.push({ ref: view.referenceId, type, expected: upload.expected, upload, hits: 0 });
  };
  /** One round: a user CSV, a history CSV and a set of packages (some broken). */
  const submitRound = async () => {
    round++;
    for (const upload of [userUpload(USER_ROWS, `r${round}u`), historyUpload(HISTORY_ROWS, round)]) {
      const form = new FormData();
      form.set("type", upload.type);
      form.set("file", new File([upload.body], upload.fileName, { type: "text/csv" }));
      await submit(form, upload, upload.type);
    }
    const packages = packageUpload(`R${round}`, PACKAGES);
    const form = new FormData();
    form.set("type", "content_upload");
    for (const [name, bytes] of packages.files)
      form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], name, { type: "application/zip" }));
    await submit(form, packages, "content_upload");
  };
  const pendingRows = async () => {
    const [row] = await db.all<{ n: number }>(
      sql`SELECT coalesce(sum(total - processed), 0) + count(*) * 500 AS n FROM actions WHERE completed_at IS NULL`,
    );
    return row!.n;
  };

  await submitRound();
  const kills: string[] = [];
  let worker: Child | null = null;
  for (let k = 1; k <= KILLS; k++) {
    // Keep work queued so that every moment falls on a running engine.
    if ((await pendingRows()) < USER_ROWS) await submitRound();
    worker = await cluster.start({ ...env, ROLE: "worker" });
    const prefix = `w-${worker.pid}-`;
    const afterClaim = random() < 0.75;
    const delay = Math.round(afterClaim ? random() * 600 : random() * 1_500);
    if (afterClaim) {
      await until(
        "the new worker to claim an action",
        async () =>
          (
            await db.all<{ n: number }>(
              sql`SELECT count(*) AS n FROM actions WHERE lease_owner LIKE ${`${prefix}%`} AND status = 'in_progress'`,
            )
          )[0]!.n > 0,
        20_000,
        10,
      );
    }
    await Bun.sleep(delay);
    // Never kill a worker on an action whose lease already died MAX_KILLS_PER_ACTION times.
    await until(
      "an action that may be interrupted again",
      async () => {
        const running = await db.all<{ reference_id: string }>(
          sql`SELECT reference_id FROM actions WHERE lease_owner LIKE ${`${prefix}%`} AND status = 'in_progress'`,
        );
        return running.every(
          (r) => (submitted.find((s) => s.ref === r.reference_id)?.hits ?? 0) < MAX_KILLS_PER_ACTION,
        );
      },
      30_000,
      5,
    );
    await worker.kill9();
    const hit = await db.all<{ reference_id: string; type: string; total: number; checkpoint: number }>(
      sql`SELECT reference_id, type, total, checkpoint FROM actions
          WHERE lease_owner LIKE ${`${prefix}%`} AND status = 'in_progress'`,
    );
    for (const h of hit) submitted.find((s) => s.ref === h.reference_id)!.hits++;
    const sending = await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM outbox WHERE status = 'sending'`,
    );
    kills.push(
      `kill ${String(k).padStart(2)}: ${afterClaim ? "claim" : "start"} +${delay} ms → ${
        hit.length
          ? hit
              .map((h) => `${h.reference_id} ${h.type} at row ~${h.checkpoint * 500} of ${h.total}`)
              .join(", ")
          : "no action running"
      }${sending[0]!.n ? ` (${sending[0]!.n} email being sent)` : ""}`,
    );
  }
  log(
    `crash.workers: ${kills.length} kills, ${submitted.length} actions in ${round} rounds\n  ${kills.join("\n  ")}`,
  );

  // Emails a killed worker had claimed stay leased to it for OUTBOX_LEASE_MS (60 s): every worker is dead
  // now, so let that time pass (as a test clock would) instead of waiting it out. The next deliverer then
  // sends them again with the same idempotency key, which is exactly what must not send twice.
  const stranded = await db.all<{ id: number }>(
    sql`UPDATE outbox SET lease_expires_at = 0 WHERE status = 'sending' RETURNING id`,
  );
  log(`crash.workers: ${stranded.length} emails were claimed by a killed worker (lease passed by the test)`);
  // A last worker that is left alone finishes everything.
  worker = await cluster.start({ ...env, ROLE: "worker" });
  await until(
    "every action to end",
    async () =>
      (await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM actions WHERE completed_at IS NULL`))[0]!
        .n === 0,
    120_000,
    100,
  );
  await until(
    "every email to be sent",
    async () =>
      (await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM outbox WHERE status <> 'sent'`))[0]!.n === 0,
    90_000,
    100,
  );
  await Bun.sleep(1_500); // nothing else may go out

  const problems: string[] = [];
  for (const s of submitted) {
    const a = await actionByRef(db, s.ref);
    problems.push(...(await differences(db, api.url!, ADA, s.ref, s.expected)));
    if (a.attempts !== 1 + s.hits) problems.push(`${s.ref}: ${a.attempts} claims, expected ${1 + s.hits}`);
    if (s.type === "user_upload") {
      const prefix = (s.upload as CsvUpload).prefix!;
      const [users] = await db.all<{ n: number; members: number }>(
        sql`SELECT count(*) AS n, (SELECT count(*) FROM group_members gm JOIN users u2 ON u2.id = gm.user_id
              WHERE u2.email LIKE ${`${prefix}%`}) AS members FROM users WHERE email LIKE ${`${prefix}%`}`,
      );
      const want = s.expected.total - s.expected.errors;
      if (users!.n !== want || users!.members !== want)
        problems.push(
          `${s.ref}: ${users!.n} users and ${users!.members} memberships, expected ${want} of each`,
        );
    } else if (s.type === "history_migration") {
      const [records] = await db.all<{ n: number }>(
        sql`SELECT count(*) AS n FROM training_history WHERE action_id = ${a.id}`,
      );
      const want = s.expected.total - s.expected.errors - s.expected.warnings;
      if (records!.n !== want) problems.push(`${s.ref}: ${records!.n} history records, expected ${want}`);
    } else {
      const codes = (s.upload as PackageUpload).codes;
      const [courses] = await db.all<{ n: number }>(
        sql`SELECT count(*) AS n FROM courses WHERE code IN (SELECT value FROM json_each(${JSON.stringify(codes)}))`,
      );
      if (courses!.n !== codes.length)
        problems.push(`${s.ref}: ${courses!.n} courses, expected ${codes.length}`);
    }
  }
  expect(problems).toEqual([]);

  // Exactly one email per action, to the requester, naming it.
  const perRef = new Map<string, number>();
  for (const email of recorder.emails) {
    const ref = /BA-[0-9A-Z]{8}/.exec(email.subject)?.[0] ?? "?";
    perRef.set(ref, (perRef.get(ref) ?? 0) + 1);
    expect([email.to].flat()).toEqual([ADA.email]);
  }
  expect(Object.fromEntries(perRef)).toEqual(Object.fromEntries(submitted.map((s) => [s.ref, 1])));
  expect(submitted.reduce((sum, s) => sum + s.hits, 0)).toBeGreaterThanOrEqual(KILLS / 4);
  log(
    `crash.workers: ${submitted.length} actions exact, ${recorder.emails.length} emails (${recorder.requests} requests to the mail API), ${submitted.reduce((sum, s) => sum + s.hits, 0)} kills mid-action`,
  );
}, 300_000);
