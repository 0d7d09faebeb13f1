/**
 * A worker process killed with SIGKILL in the middle of a large upload: once its lease runs out another
 * worker process resumes from the checkpoint, and the result is exact — no row applied twice. The
 * action's timeline tells the story, the resume included.
 */
import { afterAll, expect, test } from "bun:test";
import { count, eq } from "drizzle-orm";
import { actions, outbox, reportRows, users } from "../src/db/schema";
import { ADA, bearer, tempDir } from "./support/env";
import { spawnTracker, waitFor } from "./support/processes";
import { startTestServer, type TestServer } from "./support/server";
import { SseReader } from "./support/sse";
import { usersCsv } from "./support/users-csv";

const dir = tempDir();
let api: TestServer;
const children: { kill(signal?: number): void }[] = [];
afterAll(async () => {
  for (const child of children) child.kill(9);
  await api?.stop();
  dir.cleanup();
});

test("kill -9 of a worker mid-upload: a second worker finishes it with exact counts", async () => {
  api = await startTestServer({ ROLE: "api" }, { dir: dir.path });
  const workerEnv = { DATABASE_URL: api.config.databaseUrl, ROLE: "worker", WORKER_LEASE: "2s", PORT: "0" };
  const n = 150_000;
  const { csv, errors, warnings } = usersCsv(n);
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File([csv], "big.csv"));
  const created = await (
    await fetch(`${api.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) })
  ).json();
  const ref = created.referenceId as string;
  const { db } = api.tracker.services;
  const row = async () => (await db.select().from(actions).where(eq(actions.referenceId, ref)))[0]!;

  const first = spawnTracker(workerEnv);
  children.push(first);
  const before = await waitFor("the first slice", async () => {
    const a = await row();
    return a.processed > 0 && a.status === "in_progress" ? a : null;
  });
  first.kill(9);
  await first.exited;
  const atKill = await row();
  expect(atKill.status).toBe("in_progress");
  expect(atKill.processed).toBeLessThan(n);

  const second = spawnTracker(workerEnv);
  children.push(second);
  const done = await waitFor(
    "the end",
    async () => {
      const a = await row();
      return a.completedAt ? a : null;
    },
    90_000,
  );
  second.kill(15);

  expect(done.status).toBe("completed_with_errors");
  expect({
    total: done.total,
    processed: done.processed,
    succeeded: done.succeeded,
    errors: done.errors,
    warnings: done.warnings,
  }).toEqual({
    total: n,
    processed: n,
    succeeded: n - errors,
    errors,
    warnings,
  });
  expect(done.attempts).toBe(2);
  expect(before.leaseOwner).not.toBe(done.leaseOwner ?? "none");
  const userRows = await db.select({ n: count() }).from(users);
  expect(userRows[0]!.n).toBe(n - errors);
  const lines = await db.select({ n: count() }).from(reportRows).where(eq(reportRows.actionId, done.id));
  expect(lines[0]!.n).toBe(errors + warnings);
  const mails = await db
    .select()
    .from(outbox)
    .where(eq(outbox.idempotencyKey, `completion/${ref}`));
  expect(mails.length).toBe(1);

  // The stream, replayed from the start, shows each status change once and in order.
  const res = await fetch(`${api.url}/v1/events`, { headers: { ...bearer(ADA), "last-event-id": "0" } });
  const reader = new SseReader(res);
  const frames = (await reader.events(500, 2_000)).filter((f) => JSON.parse(f.data!).referenceId === ref);
  await reader.cancel();
  const statuses = frames.filter((f) => f.event === "action.status").map((f) => JSON.parse(f.data!).status);
  expect(statuses).toEqual(["not_started", "in_progress", "completed_with_errors"]);
  const processed = frames.map((f) => JSON.parse(f.data!).progress.processed);
  expect([...processed].sort((a, b) => a - b)).toEqual(processed);

  // The timeline, as the API shows it: who did what, and the resume with how far the first worker got.
  const view = await (await fetch(`${api.url}/v1/actions/${ref}`, { headers: bearer(ADA) })).json();
  const done500 = (atKill.checkpoint * 500).toLocaleString("en-US");
  expect(
    view.timeline.map((e: { status: string; by: string; note: string | null }) => [e.status, e.by, e.note]),
  ).toEqual([
    ["not_started", "requester", null],
    ["in_progress", "worker", null],
    [
      "in_progress",
      "worker",
      `Resumed by another worker with ${done500} of 150,000 done, after the previous one stopped responding.`,
    ],
    ["completed_with_errors", "worker", null],
  ]);
  const at = view.timeline.map((e: { at: string }) => Date.parse(e.at));
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  expect(at[2]).toBeGreaterThanOrEqual(atKill.leaseExpiresAt!);
  // The resume is in the stream too: the last frames carry it.
  expect(JSON.parse(frames.at(-1)!.data!).timeline).toEqual(view.timeline);
}, 120_000);
