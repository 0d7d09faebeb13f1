/**
 * Courses from authoring tools that give every course the same identifier, through the real server: an
 * admin uploads two such courses (together or one after the other), both are created under codes made
 * from their titles (or file names) with a Warning that says so, and a later version replaces the right
 * one. The packages are shaped like each tool's export (test/support/authoring-tools.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { newPortalAdmin } from "./support/api-client";
import { adaptPackage, captivatePackage, h5pPackage } from "./support/authoring-tools";
import { startTestServer, type TestServer } from "./support/server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const newAdmin = () => newPortalAdmin(server.url, "tools");

async function coursesOf(portal: string) {
  return server.tracker.services.db.all<{
    code: string;
    title: string;
    launch_path: string;
    content_version: number;
  }>(
    sql`SELECT code, title, launch_path, content_version FROM courses WHERE portal_id = ${portal} ORDER BY code`,
  );
}

test("two Captivate courses in one upload: both created, each with a Warning naming its code", async () => {
  const { person, api } = newAdmin();
  const upload = await api.uploadAndWait("content_upload", [
    ["fire-safety.zip", captivatePackage("Fire Safety Basics")],
    ["data-protection.zip", captivatePackage("Data Protection")],
  ]);
  expect(upload.status).toBe("completed");
  expect(upload.progress).toEqual({ total: 2, processed: 2, succeeded: 2, errors: 0, warnings: 2 });
  expect(await api.report(upload)).toEqual([
    [
      1,
      "Warning",
      "fire-safety.zip",
      "The manifest's identifier “Course_ID1” is the one Adobe Captivate gives every course, so the course code was made from its title: “Course_ID1-fire-safety-basics”.",
    ],
    [
      2,
      "Warning",
      "data-protection.zip",
      "The manifest's identifier “Course_ID1” is the one Adobe Captivate gives every course, so the course code was made from its title: “Course_ID1-data-protection”.",
    ],
  ]);
  expect((await coursesOf(person.portal)).map((c) => [c.code, c.title])).toEqual([
    ["Course_ID1-data-protection", "Data Protection"],
    ["Course_ID1-fire-safety-basics", "Fire Safety Basics"],
  ]);
});

test("two Adapt courses one after the other; a new version later replaces exactly the right one", async () => {
  const { person, api } = newAdmin();
  const first = await api.uploadAndWait("content_upload", [
    ["fire-safety.zip", adaptPackage("Fire Safety", "1")],
  ]);
  const second = await api.uploadAndWait("content_upload", [
    ["dsgvo.zip", adaptPackage("Data Protection", "1")],
  ]);
  // Before, the second was an Error: "A course with the code “adapt_manifest” already exists".
  expect([first.status, second.status]).toEqual(["completed", "completed"]);
  expect(second.progress).toMatchObject({ succeeded: 1, errors: 0, warnings: 1 });

  // The made-up codes are real course codes: a group enrolls in one, and keeps it through the replacement.
  await api.uploadAndWait("user_upload", [
    [
      "people.csv",
      new TextEncoder().encode("email,first_name,last_name,groups\nmia@example.com,Mia,Wolf,Safety\n"),
    ],
  ]);
  const enroll = await api.startAndWait("group_enroll", {
    group: "Safety",
    courses: ["adapt_manifest-fire-safety"],
  });
  expect(enroll.progress).toMatchObject({ total: 1, succeeded: 1 });

  const [check, replaced] = await api.replaceAndWait([
    ["fire-safety-v2.zip", adaptPackage("Fire Safety", "2")],
  ]);
  expect(check.status).toBe("completed");
  expect(await api.report(check)).toEqual([
    [
      1,
      "Warning",
      "fire-safety-v2.zip",
      "The manifest's identifier “adapt_manifest” is the one Adapt gives every course, so the course code was made from its title: “adapt_manifest-fire-safety”.",
    ],
  ]);
  expect(replaced.status).toBe("completed");
  expect(replaced.progress).toMatchObject({ total: 1, succeeded: 1 });
  expect((await coursesOf(person.portal)).map((c) => [c.code, c.content_version])).toEqual([
    ["adapt_manifest-data-protection", 1],
    ["adapt_manifest-fire-safety", 2],
  ]);
  const again = await api.startAndWait("group_enroll", {
    group: "Safety",
    courses: ["adapt_manifest-fire-safety"],
  });
  expect(again.progress).toMatchObject({ total: 1, warnings: 1 }); // still enrolled

  // A version whose title changed matches no course: the Error says why and what to do.
  const [renamed, nothing] = await api.replaceAndWait([
    ["fire-safety-2026.zip", adaptPackage("Fire Safety 2026")],
  ]);
  expect(renamed.status).toBe("completed_with_errors");
  expect((await api.report(renamed))[0]?.[3]).toBe(
    "No course with the code “adapt_manifest-fire-safety-2026” exists in this portal, so there is nothing to replace.",
  );
  expect(nothing.status).toBe("failed");
});

test("H5P packages with a placeholder title are told apart by their file names", async () => {
  const { person, api } = newAdmin();
  const upload = await api.uploadAndWait("content_upload", [
    ["Quiz Kapitel 1.zip", h5pPackage("Untitled")],
    ["Quiz Kapitel 2.zip", h5pPackage("Untitled")],
  ]);
  expect(upload.progress).toEqual({ total: 2, processed: 2, succeeded: 2, errors: 0, warnings: 2 });
  expect((await api.report(upload)).map((r) => r[3])).toEqual([
    "The manifest's identifier “00” is the one H5P's SCORM packaging gives every course, so the course code was made from its file name: “00-quiz-kapitel-1”.",
    "The manifest's identifier “00” is the one H5P's SCORM packaging gives every course, so the course code was made from its file name: “00-quiz-kapitel-2”.",
  ]);
  expect((await coursesOf(person.portal)).map((c) => [c.code, c.launch_path])).toEqual([
    ["00-quiz-kapitel-1", "index.html"],
    ["00-quiz-kapitel-2", "index.html"],
  ]);
});
