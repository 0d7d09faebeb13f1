/**
 * `GET /v1/actions/{ref}/failed-rows` through the real server, with files byte for byte as spreadsheet
 * programs save them (test/support/spreadsheet-files.ts): the rows that had an Error come back exactly as
 * the program wrote them, in its own dialect (Excel "CSV UTF-8" with German settings: BOM, semicolons,
 * CRLF; Excel "Unicode Text": UTF-16LE, TABs; Google Sheets: no BOM, commas, no final line break), under
 * the file's own header, plus `Issue` and `Resolution`. The expected bytes are the same program's output
 * for the same cells with those two columns added, so every other byte is compared. The one change: a
 * cell a spreadsheet would run as a formula gets a leading `'`. Kept and expired with the report.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { count, eq } from "drizzle-orm";
import { actions, reportRows } from "../src/db/schema";
import { ManualClock } from "../src/lib/clock";
import type { ReportItem } from "../src/reports/download";
import { expireReports } from "../src/reports/expiry";
import { type ApiClient, newPortalAdmin } from "./support/api-client";
import { BOB, bearer, type Person } from "./support/env";
import { waitFor } from "./support/processes";
import { startTestServer, type TestServer } from "./support/server";
import {
  excelCsvUtf8,
  excelUnicodeText,
  googleSheetsCsv,
  type Sheet,
  withUsedRange,
} from "./support/spreadsheet-files";
import { coursePackage } from "./support/zip-fixtures";

const clock = new ManualClock(Date.parse("2026-02-02T09:00:00Z"));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ REPORT_RETENTION: "1h" }, { clock });
});
afterAll(() => server.stop());

/** People as an admin typed them: rows 3, 4, 5 and 7 have an Error, row 6 a Warning. */
const PEOPLE: Sheet = [
  ["Email Address", "First Name", "Last Name", "Role", "Department", "Groups", "Notes"],
  ["ana@example.com", "Ana", "Lima", "learner", "Sales", "Team A", ""],
  ["not-an-email", "Bo", "Li", "learner", "Ops; Night", "", "Alt+Enter\nsecond line"],
  ["cy@example.com", "Cy", "Doe", "boss", "=1+2", "", "=A1;B1"],
  ["ANA@example.com", "Ana", "Again", "learner", "", "", "@SUM(A1)"],
  ["dee@example.com", "", "Dee", "", "", "", ""],
  ["", "Ed", "-5", "learner", "", "", 'He said "hi"'],
];
const ERROR_ROWS = [3, 4, 5, 7];

async function failedRows(person: Person, ref: string) {
  const res = await fetch(`${server.url}/v1/actions/${ref}/failed-rows`, { headers: bearer(person) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { res, bytes, json: () => JSON.parse(new TextDecoder().decode(bytes)) };
}

/**
 * What the file of failed rows must be, as cells: the sheet's header and its Error rows (spreadsheet row
 * numbers), each with its Issue and Resolution, formula cells made text with a leading `'`.
 */
function expectedSheet(sheet: Sheet, errors: ReportItem[]): string[][] {
  const safe = (cell: string) => (/^[=+\-@]/.test(cell) && !/^-?\d+$/.test(cell) ? `'${cell}` : cell);
  return [
    [...sheet[0]!.map(safe), "Issue", "Resolution"],
    ...errors.map((e) => [...sheet[e.row - 1]!.map(safe), e.issue, e.resolution]),
  ];
}

const errorsOf = (items: ReportItem[]) => items.filter((i) => i.status === "Error");

describe("failed rows of a user upload, in the file's own dialect", () => {
  const cases: [string, string, string, (sheet: Sheet) => Uint8Array, string][] = [
    [
      'Excel "CSV UTF-8", German regional settings (BOM, semicolons, CRLF), used range larger than the data',
      "people.csv",
      "people-to-fix.csv",
      (sheet) => excelCsvUtf8(sheet, ";"),
      "text/csv; charset=utf-8",
    ],
    [
      'Excel "Unicode Text" (UTF-16LE with BOM, TABs, CRLF), used range larger than the data',
      "people.txt",
      "people-to-fix.txt",
      (sheet) => excelUnicodeText(sheet),
      "text/csv; charset=utf-16le",
    ],
  ];
  for (const [program, uploadName, fixName, save, contentType] of cases) {
    test(program, async () => {
      const { person, api } = newPortalAdmin(server.url, "fix");
      const sheet = withUsedRange(PEOPLE, 10, 9);
      const done = await api.uploadAndWait("user_upload", [[uploadName, save(sheet)]]);
      expect(done.status).toBe("completed_with_errors");
      expect(done.progress).toMatchObject({ total: 6, errors: 4, warnings: 1 });
      expect(done.failedRows).toMatchObject({
        name: fixName,
        url: `/v1/actions/${done.referenceId}/failed-rows`,
        expiresAt: done.errorReport!.expiresAt,
        expired: false,
      });
      const errors = errorsOf(await api.reportRows(done));
      expect(errors.map((e) => e.row)).toEqual(ERROR_ROWS);

      const { res, bytes } = await failedRows(person, done.referenceId);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(contentType);
      expect(res.headers.get("content-disposition")).toContain(`filename="${fixName}"`);
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      expect([...bytes]).toEqual([...save(expectedSheet(sheet, errors))]);
    });
  }

  test("Google Sheets, Download › CSV (no BOM, commas, no final line break): each row gets its line end", async () => {
    const { person, api } = newPortalAdmin(server.url, "fix");
    const done = await api.uploadAndWait("user_upload", [["people.csv", googleSheetsCsv(PEOPLE)]]);
    const errors = errorsOf(await api.reportRows(done));
    const { bytes } = await failedRows(person, done.referenceId);
    const expected = new TextDecoder().decode(googleSheetsCsv(expectedSheet(PEOPLE, errors)));
    expect(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)).toBe(`${expected}\r\n`);
  });
});

/** A portal with two learners and the course SEC-101. */
async function historyPortal(api: ApiClient) {
  const users = "email,first_name,last_name\r\nada@example.com,Ada,L\r\ngrace@example.com,Grace,H\r\n";
  expect((await api.uploadAndWait("user_upload", [["u.csv", new TextEncoder().encode(users)]])).status).toBe(
    "completed",
  );
  expect((await api.uploadAndWait("content_upload", [["c.zip", coursePackage("SEC-101")]])).status).toBe(
    "completed",
  );
}

/** Completions from another platform: rows 3–6 have an Error (two of them only the portal's data can tell). */
const HISTORY: Sheet = [
  ["email", "course_code", "completed_at", "score", "status"],
  ["ada@example.com", "SEC-101", "2025-09-15", "95", "passed"],
  ["nobody@example.com", "SEC-101", "2025-09-15", "70", "passed"],
  ["grace@example.com", "SEC-999", "2025-10-02", "88", "passed"],
  ["grace@example.com", "SEC-101", "15/10/2025", "88", "passed"],
  ["grace@example.com", "SEC-101", "2025-10-02", "150", "passed"],
  ["ada@example.com", "SEC-101", "2025-09-15", "95", "passed"],
];

describe("failed rows of a history migration", () => {
  test("rows whose Error depends on the portal's data come back as uploaded too", async () => {
    const { person, api } = newPortalAdmin(server.url, "fix");
    await historyPortal(api);
    const done = await api.uploadAndWait("history_migration", [["history.csv", excelCsvUtf8(HISTORY, ";")]]);
    expect(done.progress).toMatchObject({ total: 6, errors: 4, warnings: 1 });
    const errors = errorsOf(await api.reportRows(done));
    expect(errors.map((e) => e.row)).toEqual([3, 4, 5, 6]);
    const { bytes } = await failedRows(person, done.referenceId);
    expect([...bytes]).toEqual([...excelCsvUtf8(expectedSheet(HISTORY, errors), ";")]);
  });
});

describe("failed packages", () => {
  test("a package upload's failed rows list each package that failed: File, Issue, Resolution", async () => {
    const { person, api } = newPortalAdmin(server.url, "fix");
    const broken = new Uint8Array(await Bun.file("examples/packages/broken-zip-slip.zip").arrayBuffer());
    const done = await api.uploadAndWait("content_upload", [
      ["good.zip", coursePackage("GOOD-1")],
      ["broken-zip-slip.zip", broken],
      ["not-a-zip.zip", new TextEncoder().encode("just text")],
    ]);
    expect(done.progress).toMatchObject({ total: 3, errors: 2 });
    const errors = errorsOf(await api.reportRows(done));
    const { res, bytes } = await failedRows(person, done.referenceId);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toContain(done.failedRows!.name);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    expect(text).toBe(
      `\uFEFFFile,Issue,Resolution\r\n${errors
        .map((e) => `${cell(e.identifier)},${cell(e.issue)},${cell(e.resolution)}\r\n`)
        .join("")}`,
    );
    expect(errors.map((e) => e.identifier)).toEqual(["broken-zip-slip.zip", "not-a-zip.zip"]);
  });
});

describe("kept, expired and guarded like the error report", () => {
  test("someone else's action is a 404 exactly like an unknown one; no Error rows, no failed rows", async () => {
    const { person, api } = newPortalAdmin(server.url, "fix");
    const done = await api.uploadAndWait("user_upload", [["people.csv", googleSheetsCsv(PEOPLE)]]);
    const shape = async (answer: Awaited<ReturnType<typeof failedRows>>) => {
      const { requestId: _, ...body } = answer.json();
      return { status: answer.res.status, body };
    };
    const unknown = await shape(await failedRows(person, "BA-00000000"));
    expect(unknown.status).toBe(404);
    const other = { ...BOB, portal: person.portal };
    expect(await shape(await failedRows(other, done.referenceId))).toEqual(unknown);

    // Warnings only: a report, but no failed rows.
    const clean = await api.uploadAndWait("user_upload", [
      ["warn.csv", new TextEncoder().encode("email,first_name,last_name\r\nwarn@example.com,,W\r\n")],
    ]);
    expect(clean.errorReport).not.toBeNull();
    expect(clean.failedRows).toBeNull();
    const none = await failedRows(person, clean.referenceId);
    expect(none.res.status).toBe(404);
    expect(none.json().detail).toContain("no failed rows");
  });

  test("the expiry job takes them with the report: 410, and the kept rows are deleted", async () => {
    const { person, api } = newPortalAdmin(server.url, "fix");
    const done = await api.uploadAndWait("user_upload", [["people.csv", excelCsvUtf8(PEOPLE, ";")]]);
    const { db } = server.tracker.services;
    const kept = async () =>
      (
        await db
          .select({ n: count() })
          .from(reportRows)
          .where(eq(reportRows.actionId, await idOf(done.referenceId)))
      )[0]!.n;
    expect(await kept()).toBe(5);

    clock.advance(3_600_000 - 1);
    await expireReports(db, clock.now());
    expect((await failedRows(person, done.referenceId)).res.status).toBe(200);
    clock.advance(1);
    await expireReports(db, clock.now());
    const gone = await failedRows(person, done.referenceId);
    expect(gone.res.status).toBe(410);
    expect(gone.json().expiredAt).toBe(done.failedRows!.expiresAt);
    expect(await kept()).toBe(0);
    // The poll answers from the event tail's cache: the expiry's event reaches it within ~100 ms.
    const after = await waitFor("the expiry to show", async () => {
      const view = await api.view(done.referenceId);
      return view.failedRows?.expired ? view : null;
    });
    expect(after.failedRows).toMatchObject({ expired: true, name: "people-to-fix.csv" });
    expect(after.errorReport?.expired).toBe(true);
  });
});

async function idOf(referenceId: string): Promise<number> {
  const [row] = await server.tracker.services.db
    .select({ id: actions.id })
    .from(actions)
    .where(eq(actions.referenceId, referenceId));
  return row!.id;
}
