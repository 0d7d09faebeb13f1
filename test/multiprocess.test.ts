/**
 * Several processes on one database: two api and two worker processes. A worker is killed with SIGKILL
 * mid-action and an api process is restarted mid-stream. Every action ends with exact counts, every
 * stream (reconnecting with Last-Event-ID) saw every status change once, every email went out once.
 */
import { afterAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { actions } from "../src/db/schema";
import { ADA, bearer, tempDir } from "./support/env";
import { spawnApi, spawnTracker, waitFor } from "./support/processes";
import { type ResendRecorder, startResendRecorder } from "./support/resend-recorder";
import { SseReader } from "./support/sse";
import { usersCsv } from "./support/users-csv";

const dir = tempDir();
const url = `file:${dir.path}/shared.db`;
const procs: { kill(signal?: number): void }[] = [];
let recorder: ResendRecorder;
afterAll(async () => {
  for (const proc of procs) proc.kill(9);
  await recorder?.stop();
  dir.cleanup();
});

interface Seen {
  id: number;
  referenceId: string;
  event: string;
  status: string;
}

/** A client that keeps one stream open against whatever URL `target()` gives, resuming with Last-Event-ID. */
function followStream(target: () => string) {
  const seen: Seen[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const last = seen.at(-1)?.id;
      try {
        const res = await fetch(`${target()}/v1/events`, {
          headers: {
            ...bearer(ADA),
            ...(last !== undefined ? { "last-event-id": String(last) } : { "last-event-id": "0" }),
          },
        });
        const reader = new SseReader(res);
        for (;;) {
          const frame = await reader.next(500);
          if (stopped) break;
          if (frame === null) {
            if (reader.ended) break; // the server went away: reconnect with Last-Event-ID
            continue;
          }
          if (frame.event) {
            const data = JSON.parse(frame.data!);
            seen.push({
              id: Number(frame.id),
              referenceId: data.referenceId,
              event: frame.event,
              status: data.status,
            });
          }
        }
        await reader.cancel().catch(() => {});
      } catch {
        await Bun.sleep(100);
      }
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

test("two api and two worker processes: kill -9 a worker and restart an api, nothing lost or doubled", async () => {
  recorder = startResendRecorder();
  const database = createDatabase({ url });
  await migrateDatabase(database, url);
  const env = {
    DATABASE_URL: url,
    WORKER_LEASE: "2s",
    RESEND_API_KEY: recorder.apiKey,
    RESEND_BASE_URL: recorder.url,
  };
  const api1 = await spawnApi({ ...env, ROLE: "api" });
  let api2 = await spawnApi({ ...env, ROLE: "api" });
  procs.push(api1.proc, api2.proc);
  const stream1 = followStream(() => api1.url);
  const stream2 = followStream(() => api2.url);

  const uploads = [60_000, 40_000, 3_000, 500].map((n, i) => ({ n, ...usersCsv(n, `m${i}-`) }));
  const refs: string[] = [];
  for (const [i, upload] of uploads.entries()) {
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File([upload.csv], `batch-${i}.csv`));
    const target = i % 2 === 0 ? api1.url : api2.url;
    const res = await fetch(`${target}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
    expect(res.status).toBe(202);
    refs.push((await res.json()).referenceId);
  }
  const rowOf = async (ref: string) =>
    (await database.db.select().from(actions).where(eq(actions.referenceId, ref)))[0]!;

  // The workers start once everything is queued; kill -9 one of them once it has committed a slice.
  const workers = [
    spawnTracker({ ...env, ROLE: "worker", PORT: "0" }),
    spawnTracker({ ...env, ROLE: "worker", PORT: "0" }),
  ];
  procs.push(...workers);
  const running = await waitFor("a running slice", async () => {
    const row = await rowOf(refs[0]!);
    return row.status === "in_progress" && row.checkpoint > 0 && row.leaseOwner ? row : null;
  });
  const pid = Number(running.leaseOwner!.split("-")[1]);
  const victim = workers.find((w) => w.pid === pid);
  expect(victim).toBeDefined();
  victim!.kill(9);

  // Restart api2 while its stream is open; its client reconnects to the new process.
  api2.proc.kill(15);
  await api2.proc.exited;
  api2 = await spawnApi({ ...env, ROLE: "api" });
  procs.push(api2.proc);

  const ended = await waitFor(
    "every action to end",
    async () => {
      const rows = await Promise.all(refs.map(rowOf));
      return rows.every((r) => r.completedAt) ? rows : null;
    },
    90_000,
  );
  for (const [i, row] of ended.entries()) {
    const { n, errors, warnings } = uploads[i]!;
    expect(row.status).toBe("completed_with_errors");
    expect([row.processed, row.succeeded, row.errors, row.warnings]).toEqual([
      n,
      n - errors,
      errors,
      warnings,
    ]);
  }
  expect(ended[0]!.attempts).toBe(2);

  // Each stream saw each status change of each action exactly once, in order.
  await waitFor("the streams to catch up", async () =>
    [stream1, stream2].every((s) =>
      refs.every((ref) => s.seen.some((e) => e.referenceId === ref && e.status.startsWith("completed"))),
    ),
  );
  for (const stream of [stream1, stream2]) {
    const ids = stream.seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    for (const ref of refs) {
      const statuses = stream.seen
        .filter((e) => e.referenceId === ref && e.event === "action.status")
        .map((e) => e.status);
      expect(statuses).toEqual(["not_started", "in_progress", "completed_with_errors"]);
    }
  }
  await Promise.all([stream1.stop(), stream2.stop()]);

  // One completion email per action, whichever worker ended it.
  await waitFor("the emails", async () => recorder.emails.length >= refs.length, 20_000);
  await Bun.sleep(1_500);
  const subjects = recorder.emails.map((e) => e.subject).sort();
  expect(subjects).toEqual(refs.map((ref) => `User upload ${ref}: Completed with errors`).sort());
  database.close();
}, 150_000);
