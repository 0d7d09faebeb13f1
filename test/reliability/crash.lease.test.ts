/**
 * A slice that outlasts the worker's lease. Every slice commits behind a lease guard whose owner is a
 * fencing token per claim, so a run whose lease ran out can never commit again, not even when the same
 * worker has claimed the action anew; and a worker never takes over an action it is still running.
 * (Before those fixes the worker reclaimed its own running action and applied every row two to four
 * times: 276,000 rows processed of 60,000.)
 *
 * Here every slice outlasts the lease (WORKER_LEASE=1ms; a slice takes ~30 ms); in production the same
 * happens to any slice (or a group action's `prepare`) slower than WORKER_LEASE (30 s by default) on a
 * worker running more than one action (WORKER_CONCURRENCY=4 by default).
 */
import { afterAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { ADA, bearer } from "../support/env";
import { Cluster, log, sharedDatabase, until } from "./support/harness";
import { userUpload } from "./support/inputs";
import { actionByRef } from "./support/verify";

const ROWS = 100_000;

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

async function runWithLease(concurrency: string) {
  const dir = cluster.tempDir();
  const { url, database } = await sharedDatabase(cluster, dir);
  const api = await cluster.start({ DATABASE_URL: url, ROLE: "api" });
  const upload = userUpload(ROWS, "lease");
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File([upload.body], upload.fileName));
  const res = await fetch(`${api.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
  const ref = ((await res.json()) as { referenceId: string }).referenceId;
  await cluster.start({
    DATABASE_URL: url,
    ROLE: "worker",
    WORKER_LEASE: "1ms",
    WORKER_CONCURRENCY: concurrency,
  });
  const done = await until(
    "the upload to end",
    async () => {
      const a = await actionByRef(database.db, ref);
      return a.completedAt ? a : null;
    },
    60_000,
    50,
  );
  log(
    `crash.lease: WORKER_CONCURRENCY=${concurrency}: ${done.status}, processed ${done.processed} of ${done.total}, ${done.attempts} claims`,
  );
  return { done, upload, db: database.db };
}

test("a slice longer than the lease, one action at a time: exact (nothing else can take it)", async () => {
  const { done, upload } = await runWithLease("1");
  expect([done.processed, done.succeeded, done.errors, done.warnings]).toEqual([
    ROWS,
    ROWS - upload.expected.errors,
    upload.expected.errors,
    upload.expected.warnings,
  ]);
}, 90_000);

test("a slice longer than the lease on a worker with free slots: every row applied once (fencing tokens)", async () => {
  const { done, upload, db } = await runWithLease("4");
  // The run may be given up (timeout) after too many takeovers, but nothing is ever applied twice.
  const [users] = await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM users WHERE email LIKE 'lease%'`);
  const [report] = await db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM report_rows WHERE action_id = ${done.id}`,
  );
  expect(done.processed).toBeLessThanOrEqual(ROWS);
  expect(done.processed).toBe(done.succeeded + done.errors);
  expect(users!.n).toBe(done.succeeded);
  expect(report!.n).toBe(done.reportRows);
  if (done.status === "completed_with_errors")
    expect([done.processed, done.errors, done.warnings]).toEqual([
      ROWS,
      upload.expected.errors,
      upload.expected.warnings,
    ]);
}, 90_000);

// A worker never takes over an action it is still running (it used to, whenever it had a free slot: the
// work was thrown away, each takeover counted as an attempt, and after MAX_LEASE_ATTEMPTS the sweeper
// ended the healthy action as `timeout`).
test("a worker never takes over an action it is still running", async () => {
  const { done } = await runWithLease("4");
  expect({ status: done.status, claims: done.attempts }).toEqual({
    status: "completed_with_errors",
    claims: 1,
  });
}, 90_000);
