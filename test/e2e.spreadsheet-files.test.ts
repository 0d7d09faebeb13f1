/**
 * User uploads and history migrations as spreadsheet programs really save them (the builders in
 * test/support/spreadsheet-files.ts say, program by program, what each writes), through the real
 * server: each file imports exactly like the others — the same counts, the same report rows at the same
 * spreadsheet rows, the same stored values — read back through later actions (a group enrollment's
 * totals, a reminder's recipients) and the portal's database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { NOT_UTF8_MESSAGE } from "../src/csv/encoding";
import { newPortalAdmin, type ReportRow } from "./support/api-client";
import { startTestServer, type TestServer } from "./support/server";
import {
  excelCsvAnsi,
  excelCsvUtf8,
  excelUnicodeText,
  googleSheetsCsv,
  libreOfficeCsv,
  type Sheet,
  withUsedRange,
} from "./support/spreadsheet-files";
import { coursePackage } from "./support/zip-fixtures";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const newAdmin = () => newPortalAdmin(server.url, "sheets");

/** The people an admin typed, with headers as people write them; row 3 has a line break in a cell. */
const PEOPLE: Sheet = [
  ["Email Address", "First Name", "Last Name", "Role", "Department", "Groups", "Notes"],
  [
    "zoe.unal@example.com",
    "Zoë",
    "Ünal",
    "Manager",
    "Forschung & Entwicklung",
    "Vertrieb DACH;Onboarding",
    "",
  ],
  [
    "soren.orsted@example.com",
    "Søren",
    "Ørsted",
    "learner",
    "Vertrieb",
    "Vertrieb DACH",
    "Alt+Enter\nsecond line",
  ],
  ["not-an-email", "Nobody", "Valid", "learner", "Vertrieb", "", ""],
  ["ann.oneil@example.com", 'Ann "Nan"', "O'Neil, Jr.", "instructor", "Support; Tier 2", "Onboarding", ""],
  ["kai.lee@example.com", "", "Lee", "", "Support", "Vertrieb DACH", ""],
];

const USED_RANGE = withUsedRange(PEOPLE, 12, 9);

/** What every program's file of PEOPLE gives. */
const EXPECTED_USERS = [
  ["ann.oneil@example.com", 'Ann "Nan"', "O'Neil, Jr.", "instructor", "Support; Tier 2"],
  ["kai.lee@example.com", "", "Lee", "learner", "Support"],
  ["soren.orsted@example.com", "Søren", "Ørsted", "learner", "Vertrieb"],
  ["zoe.unal@example.com", "Zoë", "Ünal", "manager", "Forschung & Entwicklung"],
];
const EXPECTED_REPORT: ReportRow[] = [
  [4, "Error", "not-an-email", '"not-an-email" is not a valid email address.'],
  [6, "Warning", "kai.lee@example.com", "The first name is empty; the user was imported without it."],
];

async function storedUsers(portal: string) {
  const rows = await server.tracker.services.db.all<Record<string, string>>(sql`
    SELECT email, first_name, last_name, role, department FROM users WHERE portal_id = ${portal} ORDER BY email`);
  return rows.map((r) => [r.email, r.first_name, r.last_name, r.role, r.department]);
}

const PROGRAMS: [string, string, () => Uint8Array][] = [
  [
    'Excel "CSV UTF-8", German regional settings (semicolons), used range larger than the data',
    "people.csv",
    () => excelCsvUtf8(USED_RANGE, ";"),
  ],
  [
    'Excel "CSV UTF-8", US regional settings (commas), used range larger than the data',
    "people.csv",
    () => excelCsvUtf8(USED_RANGE),
  ],
  [
    'Excel "Unicode Text" (UTF-16LE, TABs), used range larger than the data',
    "people.txt",
    () => excelUnicodeText(USED_RANGE),
  ],
  ["Google Sheets, Download › CSV", "people.csv", () => googleSheetsCsv(PEOPLE)],
  [
    "LibreOffice Calc, Text CSV, semicolons, quote all text cells",
    "people.csv",
    () => libreOfficeCsv(PEOPLE, { separator: ";", encoding: "utf-8" }),
  ],
  [
    "LibreOffice Calc, Text CSV, TABs, Unicode (UTF-16)",
    "people.csv",
    () => libreOfficeCsv(PEOPLE, { separator: "\t", encoding: "utf-16", quoteAll: false }),
  ],
];

describe("a user upload saved by each spreadsheet program", () => {
  for (const [program, fileName, bytes] of PROGRAMS) {
    test(program, async () => {
      const { person, api } = newAdmin();
      const upload = await api.uploadAndWait("user_upload", [[fileName, bytes()]]);
      expect(upload.failureReason).toBeNull();
      expect(upload.status).toBe("completed_with_errors");
      expect(upload.progress).toEqual({ total: 5, processed: 5, succeeded: 4, errors: 1, warnings: 1 });
      expect(await api.report(upload)).toEqual(EXPECTED_REPORT);
      expect(await storedUsers(person.portal)).toEqual(EXPECTED_USERS);

      // The groups the cells named exist with their members: a group enrollment reaches exactly them.
      const course = await api.uploadAndWait("content_upload", [["course.zip", coursePackage("DSGVO-1")]]);
      expect(course.status).toBe("completed");
      const sales = await api.startAndWait("group_enroll", { group: "Vertrieb DACH", courses: ["DSGVO-1"] });
      expect(sales.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
      const onboarding = await api.startAndWait("group_enroll", {
        group: "Onboarding",
        courses: ["DSGVO-1"],
      });
      // Zoë is in both groups: already enrolled, a Warning.
      expect(onboarding.progress).toEqual({ total: 2, processed: 2, succeeded: 2, errors: 0, warnings: 1 });
    });
  }
});

describe("a history migration from Excel with European regional settings", () => {
  test("imports like a comma file; decimal-comma scores are read; a reminder then reaches the rest", async () => {
    const { person, api } = newAdmin();
    await api.uploadAndWait("user_upload", [["people.csv", excelCsvUtf8(PEOPLE, ";")]]);
    await api.uploadAndWait("content_upload", [["course.zip", coursePackage("DSGVO-1")]]);
    await api.startAndWait("group_enroll", { group: "Vertrieb DACH", courses: ["DSGVO-1"] });

    // Dates formatted YYYY-MM-DD in Excel (it writes cells as displayed); scores as German Excel writes 87.5.
    const history: Sheet = [
      ["E-Mail", "Course Code", "Completion Date", "Score", "Status"],
      ["zoe.unal@example.com", "DSGVO-1", "2025-03-14", "87,5", "passed"],
      ["soren.orsted@example.com", "DSGVO-1", "2025-04-01", "100", "completed"],
      ["nobody@example.com", "DSGVO-1", "2025-04-02", "", ""],
    ];
    const migration = await api.uploadAndWait("history_migration", [
      ["history.csv", excelCsvUtf8(withUsedRange(history, 8, 7), ";")],
    ]);
    expect(migration.status).toBe("completed_with_errors");
    expect(migration.progress).toEqual({ total: 3, processed: 3, succeeded: 2, errors: 1, warnings: 0 });
    expect(await api.report(migration)).toEqual([
      [
        4,
        "Error",
        "nobody@example.com / DSGVO-1",
        'No user with the email "nobody@example.com" in this portal.',
      ],
    ]);
    const stored = await server.tracker.services.db.all<Record<string, string | number>>(sql`
      SELECT u.email, c.code, th.completed_at, th.score, th.status FROM training_history th
      JOIN users u ON u.id = th.user_id JOIN courses c ON c.id = th.course_id
      WHERE u.portal_id = ${person.portal} ORDER BY u.email`);
    expect(stored).toEqual([
      {
        email: "soren.orsted@example.com",
        code: "DSGVO-1",
        completed_at: Date.UTC(2025, 3, 1),
        score: 100,
        status: "completed",
      },
      {
        email: "zoe.unal@example.com",
        code: "DSGVO-1",
        completed_at: Date.UTC(2025, 2, 14),
        score: 88,
        status: "passed",
      },
    ]);
    // The two completions completed their enrollments: the reminder goes to the one learner left.
    const reminder = await api.startAndWait("reminder_send", { course: "DSGVO-1" });
    expect(reminder.progress).toMatchObject({ total: 1, succeeded: 1 });
  });

  test("a header without the needed columns names the ones it found and the ones it needs", async () => {
    const { api } = newAdmin();
    const german: Sheet = [
      ["Teilnehmer", "Kurs", "Datum"],
      ["zoe.unal@example.com", "DSGVO-1", "2025-03-14"],
    ];
    const failed = await api.uploadAndWait("history_migration", [["verlauf.csv", excelCsvUtf8(german, ";")]]);
    expect(failed.status).toBe("failed");
    expect(failed.failureReason).toBe(
      "The file has no 'email', 'course_code' or 'completed_at' column. Its first row has \"Teilnehmer\", \"Kurs\", \"Datum\". The first row must name the columns; this upload needs 'email', 'course_code' and 'completed_at' (for example: email,course_code,completed_at,score,status).",
    );
  });
});

describe("files that cannot be read say what to do", () => {
  test('Excel "CSV (Comma delimited)" in Windows-1252 fails, saying to save as "CSV UTF-8"', async () => {
    const { person, api } = newAdmin();
    const failed = await api.uploadAndWait("user_upload", [["people.csv", excelCsvAnsi(PEOPLE, ";")]]);
    expect(failed.status).toBe("failed");
    expect(failed.failureReason).toBe(NOT_UTF8_MESSAGE);
    expect(await storedUsers(person.portal)).toEqual([]);
  });

  test("a file separated by vertical bars says so", async () => {
    const { api } = newAdmin();
    const piped = new TextEncoder().encode("email|first_name|last_name\r\nann@example.com|Ann|Lee\r\n");
    const failed = await api.uploadAndWait("user_upload", [["people.csv", piped]]);
    expect(failed.status).toBe("failed");
    expect(failed.failureReason).toBe(
      'The file has no \'email\' column. Its first row has "email|first_name|last_name". That row looks separated by a vertical bar ("|"), which does not separate columns here: only commas, semicolons and TABs do. Save the file as CSV (in Excel, "CSV UTF-8 (Comma delimited)") and upload it again.',
    );
  });
});
