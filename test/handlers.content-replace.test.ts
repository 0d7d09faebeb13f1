import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { asc } from "drizzle-orm";
import type { ActionView } from "../src/actions/view";
import { enrollments, users } from "../src/db/schema";
import { claimAction } from "../src/engine/claim";
import { uploadKey } from "../src/engine/handlers/content-upload";
import { runClaimedAction } from "../src/engine/run-action";
import { actionRow, coursesOf, crashingBlobs, reportOf, uploadZips } from "./support/content";
import { ADA, bearer } from "./support/env";
import { claimOptions, engineDeps, getAction, startTestTracker, type TestTracker } from "./support/tracker";
import {
  SCORM12_MANIFEST,
  SCORM2004_MANIFEST,
  scorm12Zip,
  scorm2004Zip,
  xapiZip,
  zipFiles,
} from "./support/zip-fixtures";

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker();
});
afterEach(() => t.stop());

const blobs = () => t.tracker.services.blobs;

/** SAFETY-101 version 2: new title and a new launch file. */
const safetyV2 = () =>
  zipFiles({
    "imsmanifest.xml": SCORM12_MANIFEST.replace(
      "Health &amp; Safety &#8211; Basics",
      "Health and Safety 2026",
    ).replaceAll("index_lms.html", "start.html"),
    "start.html": "<html>v2</html>",
    "other.html": "<html>other</html>",
  });

/** com.example.fire-safety version 2. */
const fireV2 = () =>
  zipFiles({
    "imsmanifest.xml": SCORM2004_MANIFEST.replace("Fire Safety", "Fire Safety (2026)"),
    "content/story.html": "<html>fire v2</html>",
  });

/** Creates SAFETY-101 and com.example.fire-safety, and enrolls a learner in both. */
async function seedCourses() {
  await uploadZips(t, ADA, "content_upload", [
    ["safety.zip", scorm12Zip()],
    ["fire.zip", scorm2004Zip()],
  ]);
  await t.drain();
  const [learner] = await t.db
    .insert(users)
    .values({ portalId: "p1", email: "lena@example.com", createdAt: 1, updatedAt: 1 })
    .returning();
  const [safety, fire] = await coursesOf(t);
  await t.db.insert(enrollments).values([
    { courseId: safety!.id, userId: learner!.id, status: "enrolled", progress: 40, enrolledAt: 1 },
    {
      courseId: fire!.id,
      userId: learner!.id,
      status: "completed",
      progress: 100,
      score: 90,
      completedAt: 2,
      enrolledAt: 1,
    },
  ]);
}

const allEnrollments = () => t.db.select().from(enrollments).orderBy(asc(enrollments.courseId));

async function taskOf(taskId: string | null) {
  const res = await t.request("/v1/actions?type=content_replace", { headers: bearer(ADA) });
  const { items } = (await res.json()) as { items: ActionView[] };
  return items.filter((a) => a.taskId === taskId);
}

describe("content_replace", () => {
  test("one task, two actions: step 2 replaces only what step 1 passed, and enrollments are kept", async () => {
    await seedCourses();
    const enrolledBefore = await allEnrollments();
    const [safetyBefore, fireBefore] = await coursesOf(t);
    const started = await uploadZips(t, ADA, "content_replace", [
      ["safety-v2.zip", safetyV2()],
      ["onboarding.zip", xapiZip()],
      ["fire-v2.zip", fireV2().subarray(0, 150)],
    ]);
    expect(started).toMatchObject({
      type: "content_replace",
      typeLabel: "Content replacement",
      step: 1,
      steps: 2,
    });
    expect(started.taskId).toMatch(/^T-/);

    // The tracker lists both steps of the task; step 2 waits for step 1.
    const waiting = await taskOf(started.taskId);
    expect(waiting.map((a) => [a.step, a.steps, a.status])).toEqual([
      [2, 2, "not_started"],
      [1, 2, "not_started"],
    ]);
    await t.drain();

    const [step2View, step1View] = await taskOf(started.taskId);
    expect(step1View!.referenceId).toBe(started.referenceId);
    expect(step1View!.status).toBe("completed_with_errors");
    expect(step1View!.progress).toEqual({ total: 3, processed: 3, succeeded: 1, errors: 2, warnings: 0 });
    expect(step2View!.status).toBe("completed");
    expect(step2View!.progress).toEqual({ total: 1, processed: 1, succeeded: 1, errors: 0, warnings: 0 });
    expect(step2View!.errorReport).toBeNull();

    const report = await reportOf(t, started.referenceId);
    expect(report.map((r) => [r.row, r.status, r.identifier])).toEqual([
      [2, "Error", "onboarding.zip"],
      [3, "Error", "fire-v2.zip"],
    ]);
    expect(report[0]!.issue).toBe(
      "No course with the code “http://example.com/courses/onboarding” exists in this portal, so there is nothing to replace.",
    );
    expect(report[1]!.issue).toMatch(/incomplete/);

    const [safety, fire] = await coursesOf(t);
    expect(safety).toMatchObject({
      id: safetyBefore!.id,
      code: "SAFETY-101",
      title: "Health and Safety 2026",
      packageKind: "scorm12",
      launchPath: "start.html",
      contentVersion: 2,
    });
    expect(safety!.packageKey).toMatch(new RegExp(`/v2-${step2View!.referenceId}\\.zip$`));
    expect(await blobs().get(safety!.packageKey!)).toEqual(safetyV2());
    // The previous version stays stored; the course that failed step 1 is untouched.
    expect(await blobs().get(safetyBefore!.packageKey!)).toEqual(scorm12Zip());
    expect(fire).toEqual(fireBefore!);
    expect(await allEnrollments()).toEqual(enrolledBefore);

    // Step 1's uploads (passed or not) are cleaned up once step 2 is done with them.
    const step1 = await actionRow(t, started.referenceId);
    for (const position of [1, 2, 3]) expect(await blobs().get(uploadKey(step1.id, position))).toBeNull();
  });

  test("step 2 is not claimed until step 1 has ended", async () => {
    await seedCourses();
    const started = await uploadZips(t, ADA, "content_replace", [["safety-v2.zip", safetyV2()]]);
    const step1 = (await claimAction(t.db, claimOptions(t, "w1")))!;
    expect(step1.referenceId).toBe(started.referenceId);
    expect(await claimAction(t.db, claimOptions(t, "w2"))).toBeNull();
    expect(await runClaimedAction(engineDeps(t, { workerId: "w1" }), step1, () => false)).toBe("ended");
    expect((await getAction(t, ADA, started.referenceId)).status).toBe("completed");
    // Step 1 only checked: nothing is replaced before step 2 runs.
    expect((await coursesOf(t))[0]!.contentVersion).toBe(1);
    const step2 = (await claimAction(t.db, claimOptions(t, "w2")))!;
    expect([step2.taskId, step2.step]).toEqual([started.taskId, 2]);
  });

  test("a package of another kind passes with a Warning and replaces the course", async () => {
    await seedCourses();
    const as2004 = zipFiles({
      "imsmanifest.xml": SCORM2004_MANIFEST.replace(
        'identifier="com.example.fire-safety"',
        'identifier="SAFETY-101"',
      ),
      "content/story.html": "<html>now 2004</html>",
    });
    const started = await uploadZips(t, ADA, "content_replace", [["safety-2004.zip", as2004]]);
    await t.drain();
    const [, step1View] = await taskOf(started.taskId);
    expect(step1View!.status).toBe("completed");
    expect(step1View!.progress).toEqual({ total: 1, processed: 1, succeeded: 1, errors: 0, warnings: 1 });
    const [line] = await reportOf(t, started.referenceId);
    expect(line).toMatchObject({ row: 1, status: "Warning", identifier: "safety-2004.zip" });
    expect(line!.issue).toBe(
      "The course “SAFETY-101” is now a SCORM 1.2 course and this package is SCORM 2004.",
    );
    expect((await coursesOf(t))[0]).toMatchObject({
      code: "SAFETY-101",
      packageKind: "scorm2004",
      contentVersion: 2,
    });
  });

  test("two packages for one course in the same upload: the second is an Error", async () => {
    await seedCourses();
    const started = await uploadZips(t, ADA, "content_replace", [
      ["safety-v2.zip", safetyV2()],
      ["safety-v2-copy.zip", safetyV2()],
    ]);
    await t.drain();
    const [step2, step1] = await taskOf(started.taskId);
    expect(step1!.progress).toEqual({ total: 2, processed: 2, succeeded: 1, errors: 1, warnings: 0 });
    const report = await reportOf(t, started.referenceId);
    expect(report.map((r) => [r.row, r.identifier, r.issue])).toEqual([
      [2, "safety-v2-copy.zip", "Package 1 of this upload already replaces the course “SAFETY-101”."],
    ]);
    expect(step2!.progress).toEqual({ total: 1, processed: 1, succeeded: 1, errors: 0, warnings: 0 });
    expect((await coursesOf(t)).map((c) => c.contentVersion)).toEqual([2, 1]);
  });

  test("nothing passed step 1: step 2 fails with a reason naming step 1, and nothing changes", async () => {
    await seedCourses();
    const before = await coursesOf(t);
    const started = await uploadZips(t, ADA, "content_replace", [
      ["onboarding.zip", xapiZip()],
      ["empty.zip", new Uint8Array(0)],
    ]);
    await t.drain();
    const [step2, step1] = await taskOf(started.taskId);
    expect(step1!.status).toBe("completed_with_errors");
    expect(step1!.progress).toEqual({ total: 2, processed: 2, succeeded: 0, errors: 2, warnings: 0 });
    expect(step2!.status).toBe("failed");
    expect(step2!.failureReason).toBe(
      `No package passed the checks of step 1 (${started.referenceId}), so no course was replaced. Step 1's error report says what to fix in each package.`,
    );
    expect(step2!.progress.total).toBe(0);
    expect(await coursesOf(t)).toEqual(before);
    const step1Row = await actionRow(t, started.referenceId);
    expect(await blobs().get(uploadKey(step1Row.id, 1))).toBeNull();
  });

  test("step 1 cancelled: the whole task is cancelled, and no course is replaced", async () => {
    await seedCourses();
    const started = await uploadZips(t, ADA, "content_replace", [["safety-v2.zip", safetyV2()]]);
    const cancel = await t.request(`/v1/actions/${started.referenceId}/cancel`, {
      method: "POST",
      headers: bearer(ADA),
    });
    expect(cancel.status).toBe(200);
    await t.drain();
    const [step2, step1] = await taskOf(started.taskId);
    expect(step1!.status).toBe("cancelled");
    expect(step2!.status).toBe("cancelled");
    expect(step2!.failureReason).toBeNull();
    expect((await coursesOf(t)).map((c) => c.contentVersion)).toEqual([1, 1]);
    const step1Row = await actionRow(t, started.referenceId);
    expect(await blobs().get(uploadKey(step1Row.id, 1))).toBeNull();
    // Cancelling step 2 on its own leaves nothing else to cancel; cancelling again is a conflict.
    const again = await t.request(`/v1/actions/${step2!.referenceId}/cancel`, {
      method: "POST",
      headers: bearer(ADA),
    });
    expect(again.status).toBe(409);
  });

  test("workers killed in step 1 and in step 2: the task resumes and replaces each course exactly once", async () => {
    await seedCourses();
    const enrolledBefore = await allEnrollments();
    const started = await uploadZips(t, ADA, "content_replace", [
      ["safety-v2.zip", safetyV2()],
      ["fire-v2.zip", fireV2()],
    ]);
    // Step 1: killed while reading the second package (input staged at intake is not prepared again).
    const dead1 = (await claimAction(t.db, claimOptions(t, "dead-1")))!;
    const deps1 = engineDeps(t, { workerId: "dead-1", blobs: crashingBlobs(blobs(), "get", 2) });
    await expect(runClaimedAction(deps1, dead1, () => false)).rejects.toThrow(/worker killed/);
    t.clock.advance(30_001);
    const resumed1 = (await claimAction(t.db, claimOptions(t, "w1")))!;
    expect(resumed1.id).toBe(dead1.id);
    expect(await runClaimedAction(engineDeps(t, { workerId: "w1" }), resumed1, () => false)).toBe("ended");
    expect((await getAction(t, ADA, started.referenceId)).progress).toEqual({
      total: 2,
      processed: 2,
      succeeded: 2,
      errors: 0,
      warnings: 0,
    });

    // Step 2: killed after copying the first new package, before anything is committed.
    const dead2 = (await claimAction(t.db, claimOptions(t, "dead-2")))!;
    expect(dead2.step).toBe(2);
    const deps2 = engineDeps(t, { workerId: "dead-2", blobs: crashingBlobs(blobs(), "put", 2) });
    await expect(runClaimedAction(deps2, dead2, () => false)).rejects.toThrow(/worker killed/);
    expect((await coursesOf(t)).map((c) => c.contentVersion)).toEqual([1, 1]);
    t.clock.advance(30_001);
    await t.drain();

    const [step2] = await taskOf(started.taskId);
    expect(step2!.status).toBe("completed");
    expect(step2!.progress).toEqual({ total: 2, processed: 2, succeeded: 2, errors: 0, warnings: 0 });
    const after = await coursesOf(t);
    expect(after.map((c) => [c.code, c.title, c.contentVersion])).toEqual([
      ["SAFETY-101", "Health and Safety 2026", 2],
      ["com.example.fire-safety", "Fire Safety (2026)", 2],
    ]);
    expect(await blobs().get(after[1]!.packageKey!)).toEqual(fireV2());
    expect(await allEnrollments()).toEqual(enrolledBefore);
    expect((await actionRow(t, step2!.referenceId)).attempts).toBe(2);
  });
});
