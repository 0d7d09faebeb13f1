/**
 * A worker killed right after a side effect outside the database. Content uploads (and step 2 of content
 * replacements) delete the uploaded packages when the action ends. They used to do it in the handler's
 * `finish`, *before* the batch that ends the action — which also carries the last slice's effects (for a
 * content upload, usually its only slice: the courses) — so a worker killed in between lost the slice,
 * and the next worker found the packages gone: valid packages ended as "no longer available" Errors and
 * their courses were never created or replaced. Now the uploads are deleted only after the end commits.
 *
 * The moment is exact: the test watches the upload folder and kills the worker as soon as the first
 * package file disappears; then another worker finishes, and nothing may be lost.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { sql } from "drizzle-orm";
import { ADA, bearer } from "../support/env";
import { Cluster, log, sharedDatabase, until } from "./support/harness";
import { scormPackage } from "./support/inputs";
import { actionByRef } from "./support/verify";

const PACKAGES = 60;

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

async function upload(url: string, type: string, prefix: string) {
  const form = new FormData();
  form.set("type", type);
  for (let i = 1; i <= PACKAGES; i++)
    form.append(
      "file",
      new File([scormPackage(`${prefix}-${i}`) as Uint8Array<ArrayBuffer>], `${prefix}-${i}.zip`),
    );
  const res = await fetch(`${url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { referenceId: string; taskId: string | null }).referenceId;
}

/**
 * Runs a worker until `watched` (a package file) disappears, kills it at once, then lets another worker
 * finish. Answers the action's state at the kill and at the end.
 */
async function killAfterDeletion(
  shared: Awaited<ReturnType<typeof sharedDatabase>>,
  ref: string,
  watched: () => string,
) {
  const env = { DATABASE_URL: shared.url, ROLE: "worker", WORKER_LEASE: "1s" };
  const worker = await cluster.start(env);
  const path = watched();
  const deadline = performance.now() + 30_000;
  while (existsSync(path) && performance.now() < deadline) await Bun.sleep(0);
  worker.proc.kill(9);
  await worker.proc.exited;
  const atKill = await actionByRef(shared.database.db, ref);
  await cluster.start(env);
  const done = await until(
    "the action to end",
    async () => {
      const a = await actionByRef(shared.database.db, ref);
      return a.completedAt ? a : null;
    },
    30_000,
    50,
  );
  const [lost] = await shared.database.db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM report_rows WHERE action_id = ${done.id} AND issue LIKE '%no longer available%'`,
  );
  log(
    `crash.blobs: ${done.type}${done.steps > 1 ? ` step ${done.step}` : ""}: killed ${atKill.status === "in_progress" ? "before the end committed" : `after the end committed (${atKill.status})`}; ended ${done.status}, ${done.succeeded} of ${done.total} packages applied, ${lost!.n} lost as "no longer available"`,
  );
  return { atKill, done };
}

describe("a worker killed as soon as it deletes the uploaded packages", () => {
  test("content_upload: every valid package still becomes a course", async () => {
    const dir = cluster.tempDir();
    const shared = await sharedDatabase(cluster, dir);
    const api = await cluster.start({ DATABASE_URL: shared.url, ROLE: "api" });
    const ref = await upload(api.url!, "content_upload", "BLOB");
    const { id } = await actionByRef(shared.database.db, ref);
    const { done } = await killAfterDeletion(shared, ref, () => `${dir}/blobs/uploads/${id}/1.zip`);
    const [courses] = await shared.database.db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM courses WHERE code LIKE 'BLOB-%'`,
    );
    expect({
      status: done.status,
      succeeded: done.succeeded,
      errors: done.errors,
      courses: courses!.n,
    }).toEqual({
      status: "completed",
      succeeded: PACKAGES,
      errors: 0,
      courses: PACKAGES,
    });
  }, 90_000);

  test("content_replace step 2: every package that passed step 1 still replaces its course", async () => {
    const dir = cluster.tempDir();
    const shared = await sharedDatabase(cluster, dir);
    const { db } = shared.database;
    const codes = JSON.stringify(Array.from({ length: PACKAGES }, (_, i) => `REPL-${i + 1}`));
    await db.run(sql`INSERT INTO courses (portal_id, code, title, content_version, created_at, updated_at)
      SELECT ${ADA.portal}, value, value, 1, 0, 0 FROM json_each(${codes})`);
    const api = await cluster.start({ DATABASE_URL: shared.url, ROLE: "api" });
    const step1Ref = await upload(api.url!, "content_replace", "REPL");
    const step1 = await actionByRef(db, step1Ref);
    const [step2] = await db.all<{ reference_id: string }>(
      sql`SELECT reference_id FROM actions WHERE task_id = ${step1.taskId} AND step = 2`,
    );
    // One worker runs step 1 (checks, keeps the uploads), then step 2, whose finish deletes them.
    const { done } = await killAfterDeletion(
      shared,
      step2!.reference_id,
      () => `${dir}/blobs/uploads/${step1.id}/1.zip`,
    );
    const [replaced] = await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM courses WHERE code LIKE 'REPL-%' AND content_version = 2`,
    );
    expect({
      status: done.status,
      succeeded: done.succeeded,
      errors: done.errors,
      replaced: replaced!.n,
    }).toEqual({
      status: "completed",
      succeeded: PACKAGES,
      errors: 0,
      replaced: PACKAGES,
    });
  }, 90_000);
});
