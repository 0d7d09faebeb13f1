/**
 * A process killed with SIGKILL inside a write transaction, on the embedded database (one SQLite file in
 * WAL mode shared by every process). The moment is exact, not luck: the test watches /proc/locks and
 * kills the process while it holds SQLite's WAL write lock, i.e. in the middle of a slice's batch (or a
 * staging batch) before its commit is done.
 *
 * After each kill, with no process running: `PRAGMA integrity_check` is ok; each running action's
 * counters (visible + unpublished) equal the staged rows before its checkpoint, its report rows and the
 * users or history records it wrote; and at the end every action is exact. An upload whose api process
 * dies while staging stays unclaimable (its `run_at` is NULL).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client";
import { STAGING_GRACE_MS } from "../../src/engine/clocks";
import { ADA, bearer } from "../support/env";
import { usersCsv } from "../support/users-csv";
import {
  type Child,
  Cluster,
  FULL,
  holdsWriteLock,
  integrityCheck,
  log,
  runSeed,
  seededRandom,
  sharedDatabase,
  until,
} from "./support/harness";
import { type CsvUpload, historyUpload, seedHistoryPortal, userUpload } from "./support/inputs";
import { actionByRef, differences } from "./support/verify";

const KILLS = FULL ? 20 : 8;
/** Each upload is interrupted 3 times at most (the engine gives up on an action after 5 dead leases). */
const MAX_KILLS_PER_ACTION = 3;
/** Pairs of uploads (a user CSV and a history CSV): enough for every kill. */
const PAIRS = Math.ceil(KILLS / MAX_KILLS_PER_ACTION / 2) + 1;
const USER_ROWS = FULL ? 200_000 : 80_000;
const HISTORY_ROWS = FULL ? 100_000 : 50_000;
const STAGING_ROWS = FULL ? 1_000_000 : 400_000;

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

let shared: Awaited<ReturnType<typeof sharedDatabase>>;
let api: Child;
async function setup() {
  if (shared) return;
  const dir = cluster.tempDir();
  shared = await sharedDatabase(cluster, dir);
  await seedHistoryPortal(shared.database.db, ADA.portal);
  api = await cluster.start({ DATABASE_URL: shared.url, ROLE: "api" });
}

const shmInode = () => statSync(`${shared.path}-shm`).ino;

/** Kills `child` while it is inside a write transaction (or after `timeoutMs` without one): true if inside. */
async function killInsideWrite(child: Child, timeoutMs = 3_000): Promise<boolean> {
  const inode = shmInode();
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (holdsWriteLock(child.pid, inode)) {
      child.proc.kill(9);
      await child.proc.exited;
      return true;
    }
    await Bun.sleep(0);
  }
  await child.kill9();
  return false;
}

interface Unpublished {
  processed?: number;
  succeeded?: number;
  errors?: number;
  warnings?: number;
  reportRows?: number;
}

/** With every writer dead: what each running action committed must agree with itself. */
async function checkAtRest(db: Db, uploads: Map<string, CsvUpload>): Promise<string[]> {
  const problems: string[] = [];
  const running = await db.all<{
    id: number;
    reference_id: string;
    processed: number;
    succeeded: number;
    warnings: number;
    report_rows: number;
    total: number;
    checkpoint: number;
    unpublished: string | null;
  }>(sql`SELECT id, reference_id, processed, succeeded, warnings, report_rows, total, checkpoint, unpublished
         FROM actions WHERE status = 'in_progress'`);
  for (const a of running) {
    const upload = uploads.get(a.reference_id)!;
    const unp = (a.unpublished ? JSON.parse(a.unpublished) : {}) as Unpublished;
    const processed = a.processed + (unp.processed ?? 0);
    const succeeded = a.succeeded + (unp.succeeded ?? 0);
    const warnings = a.warnings + (unp.warnings ?? 0);
    const reportRows = a.report_rows + (unp.reportRows ?? 0);
    const [staged] = await db.all<{ done: number; all: number }>(
      sql`SELECT coalesce(sum(CASE WHEN chunk < ${a.checkpoint} THEN count END), 0) AS done,
                 coalesce(sum(count), 0) AS "all" FROM action_inputs WHERE action_id = ${a.id}`,
    );
    const [report] = await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM report_rows WHERE action_id = ${a.id}`,
    );
    const written =
      upload.type === "user_upload"
        ? (
            await db.all<{ n: number }>(
              sql`SELECT count(*) AS n FROM users WHERE email LIKE ${`${upload.prefix}%`}`,
            )
          )[0]!.n
        : (
            await db.all<{ n: number }>(
              sql`SELECT count(*) AS n FROM training_history WHERE action_id = ${a.id}`,
            )
          )[0]!.n;
    const wantWritten = upload.type === "user_upload" ? succeeded : succeeded - warnings;
    const where = `${a.reference_id} (${upload.type}, chunk ${a.checkpoint})`;
    if (staged!.all !== a.total) problems.push(`${where}: ${staged!.all} rows staged of ${a.total}`);
    if (processed !== staged!.done)
      problems.push(`${where}: ${processed} processed, checkpoint says ${staged!.done}`);
    if (report!.n !== reportRows)
      problems.push(`${where}: ${report!.n} report rows, counters say ${reportRows}`);
    if (written !== wantWritten)
      problems.push(`${where}: ${written} rows written, counters say ${wantWritten}`);
  }
  return problems;
}

describe("a process killed inside a write transaction", () => {
  test(`a worker killed ${KILLS} times mid-commit: the database stays consistent, then ends exact`, async () => {
    await setup();
    const { db } = shared.database;
    const seed = runSeed("crash.transaction");
    const random = seededRandom(seed);
    const uploads = new Map<string, CsvUpload>();
    const all = Array.from({ length: PAIRS }, (_, i) => [
      userUpload(USER_ROWS, `tx${i}-`),
      historyUpload(HISTORY_ROWS, i + 1),
    ]).flat();
    const hits = new Map<string, number>();
    for (const upload of all) {
      const form = new FormData();
      form.set("type", upload.type);
      form.set("file", new File([upload.body], upload.fileName, { type: "text/csv" }));
      const res = await fetch(`${api.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
      expect(res.status).toBe(202);
      uploads.set(((await res.json()) as { referenceId: string }).referenceId, upload);
    }
    const env = { DATABASE_URL: shared.url, ROLE: "worker", WORKER_LEASE: "1s", WORKER_CONCURRENCY: "1" };
    const lines: string[] = [];
    let inside = 0;
    for (let k = 1; k <= KILLS; k++) {
      const worker = await cluster.start(env);
      const prefix = `w-${worker.pid}-`;
      const claimed = await until(
        "the worker to claim an action that may be interrupted again",
        async () =>
          (
            await db.all<{ reference_id: string }>(
              sql`SELECT reference_id FROM actions WHERE lease_owner LIKE ${`${prefix}%`} AND status = 'in_progress'`,
            )
          ).find((a) => (hits.get(a.reference_id) ?? 0) < MAX_KILLS_PER_ACTION) ??
          // Everything ended before this worker got any: nothing left to interrupt.
          ((
            await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM actions WHERE completed_at IS NULL`)
          )[0]!.n === 0 &&
            "done"),
        30_000,
        5,
      );
      if (claimed === "done") {
        await worker.kill9();
        break;
      }
      const delay = Math.round(random() * 400);
      await Bun.sleep(delay);
      const mid = await killInsideWrite(worker);
      if (mid) inside++;
      for (const { reference_id } of await db.all<{ reference_id: string }>(
        sql`SELECT reference_id FROM actions WHERE lease_owner LIKE ${`${prefix}%`} AND status = 'in_progress'`,
      ))
        hits.set(reference_id, (hits.get(reference_id) ?? 0) + 1);
      const integrity = await integrityCheck(shared.database);
      const problems = await checkAtRest(db, uploads);
      const [state] = await db.all<{ n: number }>(
        sql`SELECT count(*) AS n FROM actions WHERE status = 'in_progress'`,
      );
      lines.push(
        `kill ${k}: +${delay} ms after ${claimed.reference_id} was claimed, ${mid ? "inside a write transaction" : "outside any transaction"}; integrity ${integrity}; ${state!.n} running`,
      );
      expect(integrity).toBe("ok");
      expect(problems).toEqual([]);
    }
    log(
      `crash.transaction: ${inside} of ${lines.length} kills inside a write transaction\n  ${lines.join("\n  ")}`,
    );
    expect(inside).toBeGreaterThanOrEqual(Math.min(lines.length, KILLS / 2));

    await cluster.start(env);
    await until(
      "every upload to end",
      async () =>
        (await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM actions WHERE completed_at IS NULL`))[0]!
          .n === 0,
      90_000,
      100,
    );
    const problems: string[] = [];
    for (const [ref, upload] of uploads)
      problems.push(...(await differences(db, api.url!, ADA, ref, upload.expected)));
    expect(problems).toEqual([]);
    expect(await integrityCheck(shared.database)).toBe("ok");
  }, 180_000);

  let staged: { ref: string; chunks: number } | null = null;

  test("an api process killed while staging a big upload: consistent, and the half-staged action is never claimed", async () => {
    await setup();
    const { db } = shared.database;
    const stager = await cluster.start({ DATABASE_URL: shared.url, ROLE: "api" });
    const { csv } = usersCsv(STAGING_ROWS, "stg");
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File([csv], "staging.csv", { type: "text/csv" }));
    const upload = fetch(`${stager.url}/v1/actions`, {
      method: "POST",
      body: form,
      headers: { ...bearer(ADA), "idempotency-key": "staging-retry" },
    }).catch((error: Error) => error);
    const action = await until(
      "staging to start",
      async () =>
        (
          await db.all<{ id: number; reference_id: string; chunks: number }>(
            sql`SELECT a.id, a.reference_id, (SELECT count(*) FROM action_inputs i WHERE i.action_id = a.id) AS chunks
                FROM actions a WHERE a.file_name = 'staging.csv'`,
          )
        ).find((a) => a.chunks > 0),
      30_000,
      2,
    );
    const mid = await killInsideWrite(stager);
    expect(mid).toBe(true);
    const answer = await upload;
    expect(answer).toBeInstanceOf(Error); // the client saw the connection die, not an answer

    expect(await integrityCheck(shared.database)).toBe("ok");
    const [row] = await db.all<{ status: string; run_at: number | null; total: number; chunks: number }>(
      sql`SELECT status, run_at, total, (SELECT count(*) FROM action_inputs WHERE action_id = ${action.id}) AS chunks
          FROM actions WHERE id = ${action.id}`,
    );
    log(
      `crash.transaction: api killed ${mid ? "inside" : "outside"} a staging write with ${row!.chunks} of ${Math.ceil(STAGING_ROWS / 500)} chunks staged; the action is ${row!.status}, run_at ${row!.run_at}`,
    );
    expect(row!.status).toBe("not_started");
    expect(row!.run_at).toBeNull();
    expect(row!.chunks).toBeGreaterThan(0);
    expect(row!.chunks).toBeLessThan(Math.ceil(STAGING_ROWS / 500));
    // Every staging batch is whole: chunks 0…n-1, each full.
    const [chunks] = await db.all<{ n: number; max: number; rows: number }>(
      sql`SELECT count(*) AS n, max(chunk) AS max, sum(count) AS rows FROM action_inputs WHERE action_id = ${action.id}`,
    );
    expect(chunks!.max).toBe(chunks!.n - 1);
    expect(chunks!.rows).toBe(chunks!.n * 500);
    staged = { ref: action.reference_id, chunks: row!.chunks };

    // A worker running for longer than a claim poll and a timeout sweep never takes it; other work still flows.
    await cluster.start({ DATABASE_URL: shared.url, ROLE: "worker", WORKER_LEASE: "1s" });
    const small = new FormData();
    small.set("type", "user_upload");
    small.set("file", new File([usersCsv(50, "after").csv], "after.csv"));
    const res = await fetch(`${api.url}/v1/actions`, { method: "POST", body: small, headers: bearer(ADA) });
    const after = ((await res.json()) as { referenceId: string }).referenceId;
    await until("the next upload to end", async () => (await actionByRef(db, after)).completedAt, 30_000);
    await Bun.sleep(6_000);
    const stuck = await actionByRef(db, action.reference_id);
    expect({ status: stuck.status, attempts: stuck.attempts, leaseOwner: stuck.leaseOwner }).toEqual({
      status: "not_started",
      attempts: 0,
      leaseOwner: null,
    });
    // The client's retry with the same Idempotency-Key is answered with the half-staged action.
    const retryForm = new FormData();
    retryForm.set("type", "user_upload");
    retryForm.set("file", new File([usersCsv(10, "retry").csv], "staging.csv"));
    const retry = await fetch(`${api.url}/v1/actions`, {
      method: "POST",
      body: retryForm,
      headers: { ...bearer(ADA), "idempotency-key": "staging-retry" },
    });
    const retried = (await retry.json()) as { referenceId: string; status: string };
    log(
      `crash.transaction: the retry with the same Idempotency-Key got ${retry.status} ${retried.referenceId === action.reference_id ? `the half-staged action back (${retried.status}, idempotent-replayed: ${retry.headers.get("idempotent-replayed")})` : "a new action"}`,
    );
    // Its requester sees it, as it is.
    const view = await fetch(`${api.url}/v1/actions/${action.reference_id}`, { headers: bearer(ADA) });
    expect(view.status).toBe(200);
    expect(((await view.json()) as { status: string }).status).toBe("not_started");
  }, 120_000);

  // A graceful stop (SIGTERM, as a deploy sends) drains requests in flight: an upload being staged is
  // finished (or refused), never left half-staged. (It used to exit at once, cutting the upload.)
  test("an api stopped with SIGTERM while staging an upload leaves no half-staged action", async () => {
    await setup();
    const { db } = shared.database;
    const stopping = await cluster.start({ DATABASE_URL: shared.url, ROLE: "api" });
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File([usersCsv(STAGING_ROWS, "term").csv], "graceful.csv", { type: "text/csv" }));
    const upload = fetch(`${stopping.url}/v1/actions`, {
      method: "POST",
      body: form,
      headers: bearer(ADA),
    }).then(
      (res) => `${res.status}`,
      (error: Error) => `connection lost (${error.message})`,
    );
    const action = await until(
      "staging to start",
      async () =>
        (
          await db.all<{ id: number }>(
            sql`SELECT a.id FROM actions a WHERE a.file_name = 'graceful.csv'
                AND EXISTS (SELECT 1 FROM action_inputs i WHERE i.action_id = a.id)`,
          )
        )[0],
      30_000,
      2,
    );
    stopping.proc.kill(15);
    const exit = await Promise.race([stopping.proc.exited, Bun.sleep(30_000).then(() => "hung")]);
    const answer = await upload;
    const [row] = await db.all<{ status: string; run_at: number | null; total: number }>(
      sql`SELECT status, run_at, total FROM actions WHERE id = ${action.id}`,
    );
    log(
      `crash.transaction: SIGTERM mid-staging: exit ${exit}, client got ${answer}, action ${JSON.stringify(row)}`,
    );
    // Finished (claimable, whole) or ended with a reason: never half-staged; and the process exited cleanly.
    expect(row!.run_at !== null ? row!.total : row!.status).toBe(
      row!.run_at !== null ? STAGING_ROWS : "failed",
    );
    expect(exit).toBe(0);
    if (row!.run_at !== null) expect(answer).toBe("202");
  }, 60_000);

  // The sweeper fails an upload whose staging was interrupted, once STAGING_GRACE_MS (10 min) has passed
  // since it was created. That time is let pass by moving the action's creation back (as a test clock
  // would): the worker started above, a real process, must then end it within a sweep or two.
  test("the half-staged action ends failed with a reason once the staging grace has passed", async () => {
    expect(staged).not.toBeNull();
    const { db } = shared.database;
    await db.run(
      sql`UPDATE actions SET created_at = created_at - ${STAGING_GRACE_MS + 60_000} WHERE reference_id = ${staged!.ref}`,
    );
    const ended = await until(
      "the half-staged action to end",
      async () => {
        const a = await actionByRef(db, staged!.ref);
        return a.status !== "not_started" ? a : null;
      },
      15_000,
      100,
    );
    expect(ended.status).toBe("failed");
    expect(ended.failureReason).toMatch(/interrupted/);
    const [chunks] = await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM action_inputs WHERE action_id = ${ended.id}`,
    );
    expect(chunks!.n).toBe(0);
    // Its requester sees why (the api process learns it from the event log, within a tail poll or two).
    const t0 = Date.now();
    const view = await until(
      "the api to show the action failed",
      async () => {
        const res = await fetch(`${api.url}/v1/actions/${staged!.ref}`, { headers: bearer(ADA) });
        const body = (await res.json()) as { status: string; failureReason: string | null };
        return body.status === "failed" ? body : null;
      },
      5_000,
      20,
    );
    log(
      `crash.transaction: the api showed the swept action failed ${Date.now() - t0} ms after the database did`,
    );
    expect(view.failureReason).toMatch(/interrupted/);
    expect(await integrityCheck(shared.database)).toBe("ok");
  }, 30_000);
});
