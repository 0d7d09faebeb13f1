/**
 * An action's timeline, as the API shows it: each status change with the time of the controlled clock and
 * its cause (the requester, a worker, the clock), and the moments that change no status: a worker
 * resuming an action whose lease ran out, or that another worker handed back when it was shut down. A
 * task's steps have their own. (A real SIGKILL of a worker process: test/crash.kill-worker.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import type { ActionView } from "../src/actions/view";
import { actions } from "../src/db/schema";
import { claimAction, releaseLease } from "../src/engine/claim";
import { promoteDueActions, sweepTimeouts } from "../src/engine/clocks";
import { runClaimedAction } from "../src/engine/run-action";
import { ADA, bearer } from "./support/env";
import {
  claimOptions,
  engineDeps,
  getAction,
  postJson,
  startTestTracker,
  type TestTracker,
  uploadCsv,
} from "./support/tracker";
import { SCORM12_MANIFEST, zipFiles } from "./support/zip-fixtures";

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker({ ACTION_TIMEOUT: "10m" });
});
afterEach(() => t.stop());

function people(n: number): string {
  const rows = ["email,first_name,last_name"];
  for (let i = 0; i < n; i++) rows.push(`p${i}@example.com,P,L`);
  return `${rows.join("\n")}\n`;
}

/** A `shouldStop` that lets `slices` slices run, then stops the run (as a worker shutting down would). */
function stopAfter(slices: number): () => boolean {
  let n = 0;
  return () => ++n > slices;
}

const iso = (ms: number) => new Date(ms).toISOString();
const story = (view: ActionView) => view.timeline.map((e) => [e.status, e.by, e.note, e.at]);
const upload = async (csv: string, fields: Record<string, string> = {}) =>
  ((await (await uploadCsv(t, ADA, csv, "people.csv", fields)).json()) as ActionView).referenceId;

describe("the timeline", () => {
  test("scheduled, promoted by the clock, run by a worker: each entry at the clock's time", async () => {
    const created = t.clock.now();
    const ref = await upload(people(3), { scheduledFor: iso(created + 3_600_000) });
    t.clock.advance(3_600_000);
    await promoteDueActions(t.db, t.clock.now());
    t.clock.advance(5_000);
    await t.drain();
    expect(story(await getAction(t, ADA, ref))).toEqual([
      ["scheduled", "requester", null, iso(created)],
      ["not_started", "clock", "Its scheduled time came.", iso(created + 3_600_000)],
      ["in_progress", "worker", null, iso(created + 3_605_000)],
      ["completed", "worker", null, iso(created + 3_605_000)],
    ]);
  });

  test("a lease that runs out: another worker resumes from the checkpoint, and the timeline says so", async () => {
    const ref = await upload(people(1_500));
    const started = t.clock.now();
    const claimed = (await claimAction(t.db, claimOptions(t, "first")))!;
    await runClaimedAction(engineDeps(t, { workerId: "first" }), claimed, stopAfter(2));
    // Stopped without handing the lease back, as a killed worker would: the lease runs out.
    t.clock.advance(30_001);
    const resumedAt = t.clock.now();
    const again = (await claimAction(t.db, claimOptions(t, "second")))!;
    expect(again.referenceId).toBe(ref);
    await runClaimedAction(engineDeps(t, { workerId: "second" }), again, () => false);
    await t.tracker.tail.pollOnce();
    const view = await getAction(t, ADA, ref);
    expect(view.status).toBe("completed");
    expect(story(view)).toEqual([
      ["not_started", "requester", null, iso(started)],
      ["in_progress", "worker", null, iso(started)],
      [
        "in_progress",
        "worker",
        "Resumed by another worker with 1,000 of 1,500 done, after the previous one stopped responding.",
        iso(resumedAt),
      ],
      ["completed", "worker", null, iso(resumedAt)],
    ]);
  });

  test("a worker shut down hands the action back; the next one says it resumed after a shutdown", async () => {
    await upload(people(1_200));
    const claimed = (await claimAction(t.db, claimOptions(t, "stopping")))!;
    await runClaimedAction(engineDeps(t, { workerId: "stopping" }), claimed, stopAfter(1));
    await releaseLease(t.db, claimed.id, claimed.leaseOwner!, t.clock.now());
    const again = (await claimAction(t.db, claimOptions(t, "next")))!;
    expect(JSON.parse(again.timeline).at(-1).note).toBe(
      "Resumed by another worker with 500 of 1,200 done, after the previous one was shut down.",
    );
  });

  test("cancelled by the requester; a task's step 2 waits for step 1 and is cancelled with it", async () => {
    const form = new FormData();
    form.set("type", "content_replace");
    const zip = zipFiles({ "imsmanifest.xml": SCORM12_MANIFEST, "index_lms.html": "<html></html>" });
    form.set("file", new File([zip as Uint8Array<ArrayBuffer>], "course.zip"));
    const step1 = (await (
      await t.request("/v1/actions", { method: "POST", body: form, headers: bearer(ADA) })
    ).json()) as ActionView;
    t.clock.advance(1_000);
    await t.request(`/v1/actions/${step1.referenceId}/cancel`, { method: "POST", headers: bearer(ADA) });
    const [step2] = await t.db
      .select()
      .from(actions)
      .where(and(eq(actions.taskId, step1.taskId!), eq(actions.step, 2)));
    const step2Ref = step2!.referenceId;
    expect(story(await getAction(t, ADA, step1.referenceId))).toEqual([
      ["not_started", "requester", null, iso(t.clock.now() - 1_000)],
      ["cancelled", "requester", null, iso(t.clock.now())],
    ]);
    expect(story(await getAction(t, ADA, step2Ref))).toEqual([
      [
        "not_started",
        "requester",
        `Starts once step 1 (${step1.referenceId}) has ended.`,
        iso(t.clock.now() - 1_000),
      ],
      [
        "cancelled",
        "requester",
        `Cancelled with the step it waits for (${step1.referenceId}).`,
        iso(t.clock.now()),
      ],
    ]);
  });

  test("a time limit passed: timeout, by the clock; an unusable file: failed, by the worker's checks", async () => {
    const ref = await upload(people(1_500));
    const claimed = (await claimAction(t.db, claimOptions(t, "slow")))!;
    await runClaimedAction(engineDeps(t, { workerId: "slow" }), claimed, stopAfter(1));
    t.clock.advance(11 * 60_000);
    await sweepTimeouts(t.db, {
      now: t.clock.now(),
      reportRetentionMs: t.config.reportRetentionMs,
      publicUrl: t.config.publicUrl,
      actionTimeoutMs: t.config.actionTimeoutMs,
      maxAttempts: 5,
    });
    expect(story(await getAction(t, ADA, ref)).at(-1)).toEqual([
      "timeout",
      "clock",
      null,
      iso(t.clock.now()),
    ]);

    const bad = await upload("name,phone\nAda,1\n");
    expect(story(await getAction(t, ADA, bad)).map(([status, by]) => [status, by])).toEqual([
      ["not_started", "requester"],
      ["failed", "worker"],
    ]);
  });

  test("a reminder series: the next occurrence starts its own timeline, saying where it came from", async () => {
    await t.db.run(sql`INSERT INTO courses (portal_id, code, title, created_at, updated_at)
      VALUES (${ADA.portal}, 'SEC-101', 'Security', 0, 0)`);
    const res = await postJson(t, ADA, {
      type: "reminder_send",
      params: { course: "SEC-101", recurrence: "0 9 * * 1" },
    });
    const first = ((await res.json()) as ActionView).referenceId;
    await t.drain();
    const [next] = await t.db.select().from(actions).where(eq(actions.status, "scheduled"));
    const view = await getAction(t, ADA, next!.referenceId);
    expect(story(view)).toEqual([
      [
        "scheduled",
        "worker",
        `Occurrence 2 of the series, scheduled when ${first} ended.`,
        iso(t.clock.now()),
      ],
    ]);
  });
});
