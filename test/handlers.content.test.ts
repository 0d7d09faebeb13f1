import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { claimAction } from "../src/engine/claim";
import { sweepEndedUploads } from "../src/engine/cleanup";
import { uploadKey } from "../src/engine/handlers/content-upload";
import { runClaimedAction } from "../src/engine/run-action";
import { actionRow, coursesOf, crashingBlobs, reportOf, uploadZips } from "./support/content";
import { ADA, EVE } from "./support/env";
import { claimOptions, engineDeps, getAction, startTestTracker, type TestTracker } from "./support/tracker";
import { scorm12Zip, scorm2004Zip, xapiZip, zipBomb, zipFiles } from "./support/zip-fixtures";

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker();
});
afterEach(() => t.stop());

const blobs = () => t.tracker.services.blobs;

describe("content_upload", () => {
  test("creates one course per package: SCORM 1.2, SCORM 2004 and xAPI", async () => {
    const packages = [
      ["safety.zip", scorm12Zip()],
      ["fire.zip", scorm2004Zip()],
      ["onboarding.zip", xapiZip()],
    ] as const;
    const started = await uploadZips(t, ADA, "content_upload", packages);
    expect(started).toMatchObject({ type: "content_upload", typeLabel: "Content upload", step: 1, steps: 1 });
    expect(started.fileName).toBe("safety.zip, fire.zip, onboarding.zip");
    expect(started.progress.total).toBe(3);
    await t.drain();

    const action = await getAction(t, ADA, started.referenceId);
    expect(action.status).toBe("completed");
    expect(action.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
    expect(action.errorReport).toBeNull();

    const rows = await coursesOf(t);
    expect(
      rows.map(({ code, title, packageKind, launchPath, contentVersion }) => ({
        code,
        title,
        packageKind,
        launchPath,
        contentVersion,
      })),
    ).toEqual([
      {
        code: "SAFETY-101",
        title: "Health & Safety – Basics",
        packageKind: "scorm12",
        launchPath: "index_lms.html",
        contentVersion: 1,
      },
      {
        code: "com.example.fire-safety",
        title: "Fire Safety",
        packageKind: "scorm2004",
        launchPath: "content/story.html",
        contentVersion: 1,
      },
      {
        code: "http://example.com/courses/onboarding",
        title: "Onboarding",
        packageKind: "xapi",
        launchPath: "story_html5.html",
        contentVersion: 1,
      },
    ]);
    // Each course keeps its own copy of the package; the temporary uploads are gone.
    const { id } = await actionRow(t, started.referenceId);
    for (const [index, course] of rows.entries()) {
      expect(course.packageKey).toMatch(new RegExp(`^packages/.+/v1-${started.referenceId}\\.zip$`));
      expect(await blobs().get(course.packageKey!)).toEqual(packages[index]![1]);
      expect(await blobs().get(uploadKey(id, index + 1))).toBeNull();
    }
    // Another portal's courses are its own.
    expect(await coursesOf(t, EVE.portal)).toEqual([]);
  });

  test("each bad package is its own Error row; the good ones are still created", async () => {
    const whole = scorm12Zip();
    const started = await uploadZips(t, ADA, "content_upload", [
      ["good.zip", whole],
      ["slip.zip", scorm12Zip({ "../evil.html": "pwned" })],
      ["bomb.zip", zipBomb(50)],
      ["truncated.zip", scorm2004Zip().subarray(0, 200)],
      ["no-manifest.zip", zipFiles({ "index.html": "<html></html>" })],
      ["no-launch.zip", zipFiles({ "tincan.xml": xapiTincanOnly() })],
      ["users.csv.zip", new TextEncoder().encode("email\nada@example.com\n")],
      ["onboarding.zip", xapiZip()],
    ]);
    await t.drain();

    const action = await getAction(t, ADA, started.referenceId);
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual({ total: 8, processed: 8, succeeded: 2, errors: 6, warnings: 0 });
    expect(action.errorReport).not.toBeNull();
    expect((await coursesOf(t)).map((c) => c.code)).toEqual([
      "SAFETY-101",
      "http://example.com/courses/onboarding",
    ]);

    const report = await reportOf(t, started.referenceId);
    expect(report.map((r) => [r.row, r.status, r.identifier])).toEqual([
      [2, "Error", "slip.zip"],
      [3, "Error", "bomb.zip"],
      [4, "Error", "truncated.zip"],
      [5, "Error", "no-manifest.zip"],
      [6, "Error", "no-launch.zip"],
      [7, "Error", "users.csv.zip"],
    ]);
    const issues = report.map((r) => r.issue);
    expect(issues[0]).toMatch(/unsafe location.*\.\.\/evil\.html/);
    expect(issues[1]).toMatch(/zip bomb/);
    expect(issues[2]).toMatch(/incomplete/);
    expect(issues[3]).toMatch(/no imsmanifest\.xml \(SCORM\) or tincan\.xml \(xAPI\)/);
    expect(issues[4]).toMatch(/starts with “story_html5\.html”, but that file is not in the package/);
    expect(issues[5]).toMatch(/not a zip archive/);
    for (const line of report) expect(line.resolution.length).toBeGreaterThan(20);
  });

  test("a package over the size limit is that package's Error row, and is never stored", async () => {
    await t.stop();
    t = await startTestTracker({ MAX_FILE_BYTES: "50000" });
    const noise = crypto.getRandomValues(new Uint8Array(60_000));
    const started = await uploadZips(t, ADA, "content_upload", [
      ["big.zip", zipFiles({ "imsmanifest.xml": "<manifest/>", "video.bin": noise }, 0)],
      ["fire.zip", scorm2004Zip()],
    ]);
    const { id } = await actionRow(t, started.referenceId);
    expect(await blobs().get(uploadKey(id, 1))).toBeNull();
    await t.drain();

    const action = await getAction(t, ADA, started.referenceId);
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual({ total: 2, processed: 2, succeeded: 1, errors: 1, warnings: 0 });
    const [line] = await reportOf(t, started.referenceId);
    expect(line).toMatchObject({ row: 1, status: "Error", identifier: "big.zip" });
    expect(line!.issue).toMatch(/^The package is 59 KB, more than the 49 KB limit for one file\.$/);
  });

  test("a code that is already a course, or already in the same upload, is an Error pointing to replacement", async () => {
    await uploadZips(t, ADA, "content_upload", [["safety.zip", scorm12Zip()]]);
    await t.drain();
    const [before] = await coursesOf(t);

    const again = await uploadZips(t, ADA, "content_upload", [
      ["safety-again.zip", scorm12Zip()],
      ["fire.zip", scorm2004Zip()],
      ["fire-copy.zip", scorm2004Zip()],
    ]);
    await t.drain();
    const action = await getAction(t, ADA, again.referenceId);
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual({ total: 3, processed: 3, succeeded: 1, errors: 2, warnings: 0 });
    const report = await reportOf(t, again.referenceId);
    expect(report.map((r) => [r.row, r.identifier])).toEqual([
      [1, "safety-again.zip"],
      [3, "fire-copy.zip"],
    ]);
    expect(report[0]!.issue).toBe("A course with the code “SAFETY-101” already exists in this portal.");
    expect(report[0]!.resolution).toMatch(/content replacement/);
    expect(report[1]!.issue).toBe(
      "Package 2 of this upload already creates the course “com.example.fire-safety”.",
    );
    // The existing course is untouched.
    const after = await coursesOf(t);
    expect(after.length).toBe(2);
    expect(after[0]).toEqual(before!);
  });

  test("a worker killed mid-slice: another takes over and creates each course exactly once", async () => {
    const started = await uploadZips(t, ADA, "content_upload", [
      ["safety.zip", scorm12Zip()],
      ["fire.zip", scorm2004Zip()],
      ["onboarding.zip", xapiZip()],
      ["truncated.zip", xapiZip().subarray(0, 100)],
    ]);
    const dead = (await claimAction(t.db, claimOptions(t, "dead")))!;
    expect(dead.referenceId).toBe(started.referenceId);
    // Killed while reading the third package: two package copies are written, nothing is committed.
    const deps = engineDeps(t, { workerId: "dead", blobs: crashingBlobs(blobs(), "get", 3) });
    await expect(runClaimedAction(deps, dead, () => false)).rejects.toThrow(/worker killed/);
    expect(await coursesOf(t)).toEqual([]);
    expect((await getAction(t, ADA, started.referenceId)).status).toBe("in_progress");

    // Nobody may take it over while the dead worker's lease runs; then the next worker does.
    await t.drain();
    expect((await getAction(t, ADA, started.referenceId)).status).toBe("in_progress");
    t.clock.advance(30_001);
    await t.drain();

    const action = await getAction(t, ADA, started.referenceId);
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual({ total: 4, processed: 4, succeeded: 3, errors: 1, warnings: 0 });
    expect((await coursesOf(t)).map((c) => [c.code, c.contentVersion])).toEqual([
      ["SAFETY-101", 1],
      ["com.example.fire-safety", 1],
      ["http://example.com/courses/onboarding", 1],
    ]);
    expect((await reportOf(t, started.referenceId)).map((r) => r.row)).toEqual([4]);
    expect((await actionRow(t, started.referenceId)).attempts).toBe(2);
  });

  test("a worker killed after the end but before its clean-up: the hourly sweep removes the uploads", async () => {
    const started = await uploadZips(t, ADA, "content_upload", [["safety.zip", scorm12Zip()]]);
    const { id } = await actionRow(t, started.referenceId);
    const store = blobs();
    const dying = {
      get: (key: string) => store.get(key),
      put: (key: string, data: Uint8Array) => store.put(key, data),
      delete: async () => {
        throw new Error("worker killed during clean-up");
      },
    };
    const claimed = (await claimAction(t.db, claimOptions(t, "dying")))!;
    const deps = engineDeps(t, { workerId: "dying", blobs: dying });
    await expect(runClaimedAction(deps, claimed, () => false)).rejects.toThrow(/killed during clean-up/);
    expect((await getAction(t, ADA, started.referenceId)).status).toBe("completed");
    expect(await store.get(uploadKey(id, 1))).not.toBeNull();

    const sweep = { db: t.db, blobs: store, now: t.clock.now(), publicUrl: "http://x" };
    expect(await sweepEndedUploads(sweep, 3 * 3_600_000)).toBe(1);
    expect(await store.get(uploadKey(id, 1))).toBeNull();
    // Ended longer ago than the window: not looked at again.
    expect(await sweepEndedUploads({ ...sweep, now: sweep.now + 4 * 3_600_000 }, 3 * 3_600_000)).toBe(0);
  });
});

/** A tincan.xml whose launch file is not shipped in the zip. */
function xapiTincanOnly(): string {
  return `<?xml version="1.0"?><tincan><activities>
    <activity id="http://example.com/courses/missing-launch" type="http://adlnet.gov/expapi/activities/course">
      <name>Missing launch</name><launch>story_html5.html</launch>
    </activity></activities></tincan>`;
}
