/**
 * From what went wrong to fixed, through the real server: an upload with Errors gives its failed rows
 * back; the admin corrects them in that very file (its dialect untouched) and uploads it again naming the
 * action it retries (`retryOf`); the retry completes cleanly, ignores the Issue and Resolution columns,
 * shows `retryOf`, and `GET /v1/actions?retryOf=` lists it under the first. For a user upload saved as
 * Excel "Unicode Text" (UTF-16LE, TABs) and a history migration saved with German settings (semicolons).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { ActionView } from "../src/actions/view";
import { apiClient, newPortalAdmin } from "./support/api-client";
import { BOB, bearer, type Person } from "./support/env";
import { startTestServer, type TestServer } from "./support/server";
import { excelCsvUtf8, excelUnicodeText, type Sheet, utf16le } from "./support/spreadsheet-files";
import { coursePackage } from "./support/zip-fixtures";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function failedRowsOf(person: Person, action: ActionView): Promise<Uint8Array> {
  const res = await fetch(`${server.url}${action.failedRows!.url}`, { headers: bearer(person) });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** Uploads `bytes` as a retry of `retryOf` (multipart, as the page and curl send it). */
function retry(person: Person, type: string, name: string, bytes: Uint8Array, retryOf: string) {
  return apiClient(server.url, person).postFiles(type, [[name, bytes]], { retryOf });
}

const PEOPLE: Sheet = [
  ["Email", "First Name", "Last Name", "Role", "Department", "Notes"],
  ["ana@example.com", "Ana", "Lima", "learner", "Sales", ""],
  ["not-an-email", "Bo", "Li", "learner", "Ops", "Alt+Enter\nsecond line"],
  ["cy@example.com", "Cy", "Doe", "boss", "Support", ""],
  ["ana@example.com", "Ana", "Again", "learner", "Sales", ""],
];

describe("a user upload, fixed and uploaded again", () => {
  test('Excel "Unicode Text": the failed rows, corrected in place, complete cleanly as a retry', async () => {
    const { person, api } = newPortalAdmin(server.url, "retry");
    const first = await api.uploadAndWait("user_upload", [["people.txt", excelUnicodeText(PEOPLE)]]);
    expect(first.status).toBe("completed_with_errors");
    expect(first.progress).toMatchObject({ total: 4, errors: 3 });

    // What an admin does in Excel: correct the three cells, save as Unicode Text again.
    const fixed = new TextDecoder("utf-16le")
      .decode(await failedRowsOf(person, first))
      .replace("not-an-email\t", "bo@example.com\t")
      .replace("\tboss\t", "\tmanager\t")
      .replace("ana@example.com\tAna\tAgain", "ana.again@example.com\tAna\tAgain");
    expect(fixed.split("\r\n")[0]).toBe(
      "Email\tFirst Name\tLast Name\tRole\tDepartment\tNotes\tIssue\tResolution",
    );
    const res = await retry(person, "user_upload", "people-to-fix.txt", utf16le(fixed), first.referenceId);
    expect(res.status).toBe(202);
    const second = await api.final(((await res.json()) as ActionView).referenceId);
    expect(second.status).toBe("completed");
    expect(second.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
    expect(second.retryOf).toBe(first.referenceId);
    expect(second.errorReport).toBeNull();
    expect(second.failedRows).toBeNull();

    // The extra columns were ignored: the people are as typed, the Issue text nowhere.
    const rows = await server.tracker.services.db.all<Record<string, string>>(sql`
      SELECT email, first_name, last_name, role, department FROM users WHERE portal_id = ${person.portal} ORDER BY email`);
    expect(rows.map((r) => Object.values(r))).toEqual([
      ["ana.again@example.com", "Ana", "Again", "learner", "Sales"],
      ["ana@example.com", "Ana", "Lima", "learner", "Sales"],
      ["bo@example.com", "Bo", "Li", "learner", "Ops"],
      ["cy@example.com", "Cy", "Doe", "manager", "Support"],
    ]);

    // The chain both ways: the retry names the first; the first's retries are listed (any case typed).
    const retries = await api.list(`retryOf=${first.referenceId.toLowerCase()}`);
    expect(retries.map((a) => a.referenceId)).toEqual([second.referenceId]);
    expect(await api.list(`retryOf=${second.referenceId}`)).toEqual([]);
  });

  test("a fixed file that still fails gives its rows back with one Issue and Resolution, not two", async () => {
    const { person, api } = newPortalAdmin(server.url, "retry");
    // (Not the repeated email: alone in the retry, that row is no longer a repeat, and updates the person.)
    const sheet = PEOPLE.slice(0, 4);
    const first = await api.uploadAndWait("user_upload", [["people.csv", excelCsvUtf8(sheet, ";")]]);
    const toFix = await failedRowsOf(person, first);
    const again = await retry(person, "user_upload", "people-to-fix.csv", toFix, first.referenceId);
    const second = await api.final(((await again.json()) as ActionView).referenceId);
    expect(second.progress).toMatchObject({ total: 2, errors: 2 });
    // Unchanged, the same rows fail again, and their file is the first's, byte for byte.
    expect([...(await failedRowsOf(person, second))]).toEqual([...toFix]);
  });
});

const HISTORY: Sheet = [
  ["email", "course_code", "completed_at", "score", "status"],
  ["ada@example.com", "SEC-101", "2025-09-15", "95", "passed"],
  ["nobody@example.com", "SEC-101", "2025-09-16", "70", "passed"],
  ["grace@example.com", "SEC-999", "2025-10-02", "88", "passed"],
  ["grace@example.com", "SEC-101", "15.10.2025", "88,5", "passed"],
];

describe("a history migration, fixed and uploaded again", () => {
  test("Excel with German settings: unknown learner, unknown course and a local date, corrected", async () => {
    const { person, api } = newPortalAdmin(server.url, "retry");
    const users = "email;first_name;last_name\r\nada@example.com;Ada;L\r\ngrace@example.com;Grace;H\r\n";
    await api.uploadAndWait("user_upload", [["u.csv", new TextEncoder().encode(users)]]);
    await api.uploadAndWait("content_upload", [["c.zip", coursePackage("SEC-101")]]);
    const first = await api.uploadAndWait("history_migration", [["history.csv", excelCsvUtf8(HISTORY, ";")]]);
    expect(first.progress).toMatchObject({ total: 4, errors: 3, warnings: 0 });

    const fixed = new TextDecoder("utf-8", { ignoreBOM: true })
      .decode(await failedRowsOf(person, first))
      .replace("nobody@example.com", "grace@example.com")
      .replace("SEC-999", "SEC-101")
      .replace("15.10.2025", "2025-10-15");
    expect(fixed.startsWith("\uFEFFemail;course_code;completed_at;score;status;Issue;Resolution\r\n")).toBe(
      true,
    );
    const res = await retry(
      person,
      "history_migration",
      "history-to-fix.csv",
      new TextEncoder().encode(fixed),
      first.referenceId,
    );
    const second = await api.final(((await res.json()) as ActionView).referenceId);
    expect(second.status).toBe("completed");
    expect(second.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
    expect(second.retryOf).toBe(first.referenceId);
    const records = await server.tracker.services.db.all<{ email: string; score: number }>(sql`
      SELECT u.email, th.score FROM training_history th JOIN users u ON u.id = th.user_id
      WHERE u.portal_id = ${person.portal} ORDER BY th.completed_at`);
    expect(records).toEqual([
      { email: "ada@example.com", score: 95 },
      { email: "grace@example.com", score: 70 },
      { email: "grace@example.com", score: 88 },
      { email: "grace@example.com", score: 89 },
    ]);
  });
});

describe("retryOf names one of the caller's own actions, of the same type", () => {
  test("unknown, someone else's or malformed: the same 422 naming retryOf; another type: 422 too", async () => {
    const { person, api } = newPortalAdmin(server.url, "retry");
    const mine = await api.uploadAndWait("user_upload", [["p.csv", excelCsvUtf8(PEOPLE)]]);
    const colleague = { ...BOB, portal: person.portal };
    const theirs = await newPortalAdmin(server.url, "x").api.uploadAndWait("user_upload", [
      ["p.csv", excelCsvUtf8(PEOPLE)],
    ]);
    const answer = async (who: Person, retryOf: string, type = "user_upload") => {
      const res = await retry(who, type, "p.csv", excelCsvUtf8(PEOPLE), retryOf);
      const { requestId: _, ...body } = await res.json();
      return { status: res.status, body };
    };
    const unknown = await answer(person, "BA-00000000");
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([
      { path: "retryOf", message: "retryOf does not name one of your actions" },
    ]);
    expect(await answer(colleague, mine.referenceId)).toEqual(unknown);
    expect(await answer(person, theirs.referenceId)).toEqual(unknown);
    expect(await answer(person, "not a reference")).toMatchObject({
      status: 422,
      body: { errors: [{ path: "retryOf" }] },
    });
    const otherType = await answer(person, mine.referenceId, "history_migration");
    expect(otherType.status).toBe(422);
    expect(otherType.body.errors[0].message).toContain("same type");

    // JSON actions take it too, and name it with the params' problems at once.
    const res = await fetch(`${server.url}/v1/actions`, {
      method: "POST",
      headers: { ...bearer(person), "content-type": "application/json" },
      body: JSON.stringify({
        type: "group_enroll",
        params: { group: "none", courses: ["none"] },
        retryOf: "BA-00000000",
      }),
    });
    expect(res.status).toBe(422);
    const paths = ((await res.json()).errors as { path: string }[]).map((e) => e.path);
    expect(paths).toContain("retryOf");
    expect(paths).toContain("params.group");

    const list = await fetch(`${server.url}/v1/actions?retryOf=${encodeURIComponent("BA!")}`, {
      headers: bearer(person),
    });
    expect(list.status).toBe(400);
    expect((await list.json()).errors[0].path).toBe("retryOf");
  });
});
