/**
 * Dry runs through the real server, for every action type: a dry run judges every row against the
 * portal's data as it is now and changes nothing (every portal table, the reminder outbox, the series'
 * next occurrence and the package store, compared before and after), and the real run of the same input
 * then reports exactly what the dry run reported: the same status, counts and report rows. A dry run is
 * marked in the view, in every stream frame and in the completion email.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { ActionView } from "../src/actions/view";
import { type ApiClient, newPortalAdmin } from "./support/api-client";
import { bearer, type Person } from "./support/env";
import { waitFor } from "./support/processes";
import { startTestServer, type TestServer } from "./support/server";
import { excelCsvUtf8, type Sheet } from "./support/spreadsheet-files";
import { SseReader } from "./support/sse";
import { coursePackage } from "./support/zip-fixtures";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const db = () => server.tracker.services.db;
const text = (s: string) => new TextEncoder().encode(s);

/** Everything of the portal that an action may change, and the package store. */
async function portalData(portal: string) {
  const all = (query: ReturnType<typeof sql>) => db().all(query);
  return {
    users: await all(sql`SELECT * FROM users WHERE portal_id = ${portal} ORDER BY id`),
    groups: await all(sql`SELECT * FROM groups WHERE portal_id = ${portal} ORDER BY id`),
    members: await all(sql`SELECT m.* FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE g.portal_id = ${portal} ORDER BY m.group_id, m.user_id`),
    courses: await all(sql`SELECT * FROM courses WHERE portal_id = ${portal} ORDER BY id`),
    enrollments: await all(sql`SELECT e.* FROM enrollments e JOIN courses c ON c.id = e.course_id
      WHERE c.portal_id = ${portal} ORDER BY e.course_id, e.user_id`),
    history: await all(sql`SELECT h.* FROM training_history h JOIN users u ON u.id = h.user_id
      WHERE u.portal_id = ${portal} ORDER BY h.user_id, h.course_id, h.completed_at`),
    reminders: await all(
      sql`SELECT id, to_address FROM outbox WHERE kind = 'reminder' AND portal_id = ${portal}`,
    ),
    scheduled: await all(
      sql`SELECT reference_id FROM actions WHERE portal_id = ${portal} AND status = 'scheduled'`,
    ),
    packages: storedPackages(),
  };
}

function storedPackages(): string[] {
  const root = join(server.dir, "blobs", "packages");
  try {
    return readdirSync(root, { recursive: true }).map(String).sort();
  } catch {
    return [];
  }
}

/** Starts an action (JSON, or multipart with files) with `dryRun`, and waits for the end of every step. */
async function run(
  person: Person,
  api: ApiClient,
  type: string,
  input: { params?: unknown; files?: [string, Uint8Array][] },
  dryRun: boolean,
): Promise<ActionView[]> {
  let res: Response;
  if (input.files) {
    res = await api.postFiles(type, input.files, dryRun ? { dryRun: "true" } : {});
  } else {
    res = await fetch(`${server.url}/v1/actions`, {
      method: "POST",
      headers: { ...bearer(person), "content-type": "application/json" },
      body: JSON.stringify({ type, params: input.params, dryRun }),
    });
  }
  expect(res.status).toBe(202);
  return api.steps(await api.final(((await res.json()) as ActionView).referenceId));
}

/**
 * The dry run changes nothing; the real run then reports exactly the same, step by step, and does change
 * the portal (so the comparison could fail).
 */
async function dryThenReal(
  person: Person,
  api: ApiClient,
  type: string,
  input: { params?: unknown; files?: [string, Uint8Array][] },
) {
  const before = await portalData(person.portal);
  const dry = await run(person, api, type, input, true);
  expect(await portalData(person.portal)).toEqual(before);
  const real = await run(person, api, type, input, false);
  expect(dry.length).toBe(real.length);
  for (const [k, step] of dry.entries()) {
    expect(step.dryRun).toBe(true);
    expect(real[k]!.dryRun).toBe(false);
    expect(step.status).toBe(real[k]!.status);
    expect(step.failureReason).toBe(real[k]!.failureReason);
    expect(step.progress).toEqual(real[k]!.progress);
    expect(await api.reportRows(step)).toEqual(await api.reportRows(real[k]!));
  }
  expect(await portalData(person.portal)).not.toEqual(before);
  return { dry, real };
}

/** A portal with three people (Ada and Grace in Team, Linus in Ops), two courses, Team enrolled in SEC-101. */
async function seededPortal() {
  const { person, api } = newPortalAdmin(server.url, "dry");
  const users = [
    "email,first_name,last_name,department,groups",
    "ada@example.com,Ada,Lovelace,Eng,Team;Everyone",
    "grace@example.com,Grace,Hopper,Eng,Team;Everyone",
    "linus@example.com,Linus,Berg,Ops,Ops;Everyone",
  ].join("\r\n");
  expect((await api.uploadAndWait("user_upload", [["seed.csv", text(users)]])).status).toBe("completed");
  const courses = await api.uploadAndWait("content_upload", [
    ["sec.zip", coursePackage("SEC-101")],
    ["gdpr.zip", coursePackage("GDPR-1")],
  ]);
  expect(courses.status).toBe("completed");
  expect((await api.startAndWait("group_enroll", { group: "Team", courses: ["SEC-101"] })).status).toBe(
    "completed",
  );
  // An account from before email checks, without a domain: an emailDomain rule cannot judge it.
  await db().run(sql`INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
    VALUES (${person.portal}, 'legacy-account', 'Old', 'Account', 'learner', 'Ops', 0, 0)`);
  return { person, api };
}

const PEOPLE: Sheet = [
  ["email", "first_name", "last_name", "role", "department", "groups"],
  ["ada@example.com", "Ada", "Lovelace", "admin", "Research", "Team"],
  ["new@example.com", "New", "Person", "learner", "Eng", "Newcomers"],
  ["not-an-email", "Bo", "Li", "learner", "", ""],
  ["new@example.com", "New", "Again", "learner", "", ""],
  ["cy@example.com", "Cy", "", "boss", "", ""],
  ["dee@example.com", "", "Dee", "", "", ""],
];

const HISTORY: Sheet = [
  ["email", "course_code", "completed_at", "score", "status"],
  ["ada@example.com", "SEC-101", "2025-09-15", "95", "passed"],
  ["nobody@example.com", "SEC-101", "2025-09-15", "70", "passed"],
  ["grace@example.com", "SEC-999", "2025-10-02", "88", "passed"],
  ["grace@example.com", "SEC-101", "02/10/2025", "88", "passed"],
  ["ada@example.com", "SEC-101", "2025-09-15", "95", "passed"],
  ["linus@example.com", "GDPR-1", "2025-11-20", "", "completed"],
];

describe("a dry run changes nothing and reports what the real run then reports", () => {
  test("user upload (updates, new people and groups, every kind of row problem)", async () => {
    const { person, api } = await seededPortal();
    const { dry } = await dryThenReal(person, api, "user_upload", {
      files: [["people.csv", excelCsvUtf8(PEOPLE, ";")]],
    });
    expect(dry[0]!.progress).toMatchObject({ errors: 3, warnings: 1 });
    // Its failed rows are there to fix, before anything changed.
    expect(dry[0]!.failedRows).not.toBeNull();
  });

  test("history migration (unknown learner and course, a bad date, a repeated record)", async () => {
    const { person, api } = await seededPortal();
    await dryThenReal(person, api, "history_migration", { files: [["history.csv", excelCsvUtf8(HISTORY)]] });
  });

  test("content upload (a new course, a broken package, a code twice, a code that exists)", async () => {
    const { person, api } = await seededPortal();
    await dryThenReal(person, api, "content_upload", {
      files: [
        ["new.zip", coursePackage("NEW-1")],
        ["broken.zip", text("not a zip")],
        ["twice-a.zip", coursePackage("NEW-2")],
        ["twice-b.zip", coursePackage("NEW-2")],
        ["exists.zip", coursePackage("SEC-101")],
      ],
    });
  });

  test("content replacement: both steps dry, the second judging each replacement and replacing nothing", async () => {
    const { person, api } = await seededPortal();
    const { dry } = await dryThenReal(person, api, "content_replace", {
      files: [
        ["sec-v2.zip", coursePackage("SEC-101")],
        ["unknown.zip", coursePackage("NOPE-9")],
      ],
    });
    expect(dry.map((s) => [s.step, s.status])).toEqual([
      [1, "completed_with_errors"],
      [2, "completed"],
    ]);
  });

  test("group enrollment, unenrollment and mark complete", async () => {
    const { person, api } = await seededPortal();
    await dryThenReal(person, api, "group_enroll", {
      params: { group: "Team", courses: ["SEC-101", "GDPR-1"] },
    });
    await dryThenReal(person, api, "group_mark_complete", {
      params: { group: "Everyone", course: "SEC-101", score: 90 },
    });
    await dryThenReal(person, api, "group_unenroll", { params: { group: "Everyone", courses: ["GDPR-1"] } });
  });

  test("dynamic rule start (a group that does not exist yet) and change", async () => {
    const { person, api } = await seededPortal();
    const rule = { attribute: "emailDomain", operator: "equals", value: "example.com" };
    const { dry } = await dryThenReal(person, api, "dynamic_rule_start", {
      params: { group: "Staff", rule },
    });
    expect(dry[0]!.progress).toMatchObject({ total: 4, warnings: 1 });
    await dryThenReal(person, api, "dynamic_rule_change", {
      params: { group: "Staff", rule: { attribute: "department", operator: "equals", value: "Eng" } },
    });
  });

  test("a recurring reminder: no email to a learner, no next occurrence", async () => {
    const { person, api } = await seededPortal();
    const { real } = await dryThenReal(person, api, "reminder_send", {
      params: { course: "SEC-101", recurrence: "0 9 * * 1" },
    });
    const data = await portalData(person.portal);
    expect(data.reminders.length).toBe(2);
    expect(data.scheduled.length).toBe(1);
    expect(real[0]!.progress).toMatchObject({ total: 2, errors: 0 });
  });
});

describe("a dry run is marked as one", () => {
  test("in the view, in every stream frame, and in the completion email's subject and body", async () => {
    const { person, api } = newPortalAdmin(server.url, "dry");
    const stream = new SseReader(await fetch(`${server.url}/v1/events`, { headers: bearer(person) }));
    const res = await api.postFiles("user_upload", [["people.csv", excelCsvUtf8(PEOPLE)]], {
      dryRun: "true",
    });
    const accepted = (await res.json()) as ActionView;
    expect(accepted.dryRun).toBe(true);
    const done = await api.final(accepted.referenceId);
    expect(done.status).toBe("completed_with_errors");
    expect(done.timeline.map((e) => [e.status, e.by])).toEqual([
      ["not_started", "requester"],
      ["in_progress", "worker"],
      ["completed_with_errors", "worker"],
    ]);

    const frames = (await stream.events(20, 2_000)).filter(
      (f) => JSON.parse(f.data!).referenceId === done.referenceId,
    );
    await stream.cancel();
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const frame of frames) expect(JSON.parse(frame.data!).dryRun).toBe(true);

    const [email] = await waitFor("the completion email", async () => {
      const rows = await db().all<{ subject: string; text_body: string; html_body: string }>(
        sql`SELECT subject, text_body, html_body FROM outbox WHERE idempotency_key = ${`completion/${done.referenceId}`}`,
      );
      return rows.length ? rows : null;
    });
    expect(email!.subject).toBe(`Dry run: User upload ${done.referenceId}: Completed with errors`);
    expect(email!.text_body).toContain("nothing in the portal was changed");
    expect(email!.html_body).toContain("nothing in the portal was changed");
  });

  test("dryRun must be a boolean (JSON) or true/false (multipart): a 422 naming it", async () => {
    const { person, api } = newPortalAdmin(server.url, "dry");
    const json = await fetch(`${server.url}/v1/actions`, {
      method: "POST",
      headers: { ...bearer(person), "content-type": "application/json" },
      body: JSON.stringify({ type: "group_enroll", params: { group: "G", courses: ["C"] }, dryRun: "yes" }),
    });
    expect(json.status).toBe(422);
    expect((await json.json()).errors.map((e: { path: string }) => e.path)).toContain("dryRun");
    const multipart = await api.postFiles("user_upload", [["people.csv", excelCsvUtf8(PEOPLE)]], {
      dryRun: "maybe",
    });
    expect(multipart.status).toBe(422);
    expect((await multipart.json()).errors).toEqual([
      { path: "dryRun", message: "dryRun must be true or false" },
    ]);
  });
});
