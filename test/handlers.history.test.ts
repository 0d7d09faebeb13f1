/**
 * Training history migration end to end: the happy path, each Error and Warning with its row, the
 * re-upload that changes nothing, whole-file failures, enrollments completed by the import, and a
 * crash in the middle with a resume.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { enrollments, trainingHistory } from "../src/db/schema";
import { parseIsoDate } from "../src/engine/handlers/history-rows";
import { manyUsers, type Portal, startPortal } from "./support/portal";

let p: Portal;
let ids: Map<string, number>;
let sec: number;
let gdpr: number;

beforeEach(async () => {
  p = await startPortal(); // the clock reads 2026-01-05T09:00:00Z
  ids = await p.seedUsers([
    { email: "ann@example.com" },
    { email: "ben@example.com" },
    { email: "cid@example.com" },
  ]);
  sec = await p.seedCourse("SEC-101");
  gdpr = await p.seedCourse("GDPR-1");
});
afterEach(() => p.stop());

const id = (email: string) => ids.get(email)!;
const HEADER = "email,course_code,completed_at,score,status";

describe("history_migration", () => {
  test("imports every row, and completes the enrollments it can", async () => {
    await p.enroll(sec, [id("ann@example.com"), id("ben@example.com")]);
    const csv = [
      HEADER,
      "Ann@Example.com,SEC-101,2025-11-03,92,passed",
      "ben@example.com,SEC-101,2025-10-01T14:30:00+02:00,40,failed",
      "cid@example.com,GDPR-1,2025-12-24T08:00:00Z,,",
    ].join("\n");
    const ref = await p.upload("history_migration", "history.csv", csv);
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.fileName).toBe("history.csv");
    expect(view.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
    const rows = await p.db.select().from(trainingHistory).orderBy(trainingHistory.userId);
    expect(rows.map((r) => [r.userId, r.courseId, r.completedAt, r.status, r.score])).toEqual([
      [id("ann@example.com"), sec, Date.parse("2025-11-03T00:00:00Z"), "passed", 92],
      [id("ben@example.com"), sec, Date.parse("2025-10-01T12:30:00Z"), "failed", 40],
      [id("cid@example.com"), gdpr, Date.parse("2025-12-24T08:00:00Z"), "completed", null],
    ]);
    const enrolled = await p.db.select().from(enrollments).orderBy(enrollments.userId);
    // Passed completes Ann's enrollment; a failed attempt leaves Ben's open; Cid gets no enrollment.
    expect(enrolled.map((e) => [e.userId, e.status, e.completedAt, e.score])).toEqual([
      [id("ann@example.com"), "passed", Date.parse("2025-11-03T00:00:00Z"), 92],
      [id("ben@example.com"), "enrolled", null, null],
    ]);
  });

  test("reports each Error and Warning on its spreadsheet row", async () => {
    const csv = [
      HEADER,
      "ann@example.com,SEC-101,2025-11-03,,", // 2 ok
      "nobody@example.com,SEC-101,2025-11-03,,", // 3 unknown user
      "ann@example.com,NOPE,2025-11-03,,", // 4 unknown course
      "ann@example.com,SEC-101,03/11/2025,,", // 5 not ISO
      "ann@example.com,SEC-101,2025-02-30,,", // 6 impossible date
      "ann@example.com,SEC-101,2026-02-01,,", // 7 future
      "ann@example.com,SEC-101,2025-11-04,150,", // 8 score out of range
      "ann@example.com,SEC-101,2025-11-05,abc,", // 9 score not a number
      "ann@example.com,SEC-101,2025-11-06,,done", // 10 bad status
      ",SEC-101,2025-11-07,,", // 11 missing email
      "ANN@example.com,SEC-101,2025-11-03T00:00:00Z,,", // 12 same record as row 2
      "ben@example.com,GDPR-1,2025-11-08,-5,maybe", // 13 two problems, one line
    ].join("\n");
    const ref = await p.upload("history_migration", "history.csv", csv);
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed_with_errors");
    expect(view.progress).toEqual({ total: 12, processed: 12, succeeded: 2, errors: 10, warnings: 1 });
    const report = await p.report(ref);
    expect(report.map(([row, status, identifier]) => [row, status, identifier])).toEqual([
      [3, "Error", "nobody@example.com / SEC-101"],
      [4, "Error", "ann@example.com / NOPE"],
      [5, "Error", "ann@example.com / SEC-101"],
      [6, "Error", "ann@example.com / SEC-101"],
      [7, "Error", "ann@example.com / SEC-101"],
      [8, "Error", "ann@example.com / SEC-101"],
      [9, "Error", "ann@example.com / SEC-101"],
      [10, "Error", "ann@example.com / SEC-101"],
      [11, "Error", "(blank) / SEC-101"],
      [12, "Warning", "ANN@example.com / SEC-101"],
      [13, "Error", "ben@example.com / GDPR-1"],
    ]);
    const issue = new Map(report.map(([row, , , text]) => [row, text]));
    expect(issue.get(3)).toBe('No user with the email "nobody@example.com" in this portal.');
    expect(issue.get(4)).toBe('No course with the code "NOPE" in this portal.');
    expect(issue.get(5)).toBe('"03/11/2025" is not an ISO 8601 date.');
    expect(issue.get(6)).toBe('"2025-02-30" is not an ISO 8601 date.');
    expect(issue.get(7)).toBe("The completion date 2026-02-01 is in the future.");
    expect(issue.get(8)).toBe('The score "150" is not a number from 0 to 100.');
    expect(issue.get(9)).toBe('The score "abc" is not a number from 0 to 100.');
    expect(issue.get(10)).toBe('The status "done" is not completed, passed or failed.');
    expect(issue.get(11)).toBe("The email address is missing.");
    expect(issue.get(12)).toContain("Row 2 has the same learner, course and completion date");
    expect(issue.get(13)).toBe(
      'The score "-5" is not a number from 0 to 100. The status "maybe" is not completed, passed or failed.',
    );
    expect(await p.db.select().from(trainingHistory)).toHaveLength(1); // rows 2 and 12 are one record

    // The downloadable report says the same, in the contract's columns.
    const csvReport = await (await p.request(`/v1/actions/${ref}/error-report`)).text();
    expect(csvReport.split("\n")[0]?.trim()).toBe("Row,Status,Identifier,Issue,Resolution");
  });

  test("uploading the same file again changes nothing, and every row says so", async () => {
    const csv = [
      HEADER,
      "ann@example.com,SEC-101,2025-11-03,92,passed",
      "ben@example.com,GDPR-1,2025-12-01,,",
      "ben@example.com,GDPR-1,2025-12-01,,",
    ].join("\n");
    const first = await p.upload("history_migration", "history.csv", csv);
    await p.run();
    expect((await p.view(first)).progress).toMatchObject({ succeeded: 3, warnings: 1 });
    const before = await p.db.select().from(trainingHistory);

    const again = await p.upload("history_migration", "history.csv", csv);
    await p.run();
    const view = await p.view(again);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 3 });
    const report = await p.report(again);
    expect(report.map(([row, status]) => [row, status])).toEqual([
      [2, "Warning"],
      [3, "Warning"],
      [4, "Warning"],
    ]);
    expect(report[0]![3]).toBe(
      `This completion is already in the training history (recorded by ${first}); nothing changed.`,
    );
    expect(report[2]![3]).toContain("Row 3 has the same learner");
    expect(await p.db.select().from(trainingHistory)).toEqual(before);
  });

  test("a file without a required column, or without rows, fails as a whole", async () => {
    const noColumn = await p.upload(
      "history_migration",
      "h.csv",
      "email,completed_at\nann@example.com,2025-11-03\n",
    );
    const noRows = await p.upload("history_migration", "h.csv", `${HEADER}\n`);
    await p.run();
    const a = await p.view(noColumn);
    expect(a.status).toBe("failed");
    expect(a.failureReason).toContain("'course_code'");
    const b = await p.view(noRows);
    expect(b.status).toBe("failed");
    expect(b.failureReason).toBe("The file has a header row but no data rows.");
  });

  test("a crash in the middle resumes where it stopped: every record once, every warning once", async () => {
    await p.seedUsers(manyUsers(1200, "m"));
    const lines = Array.from(
      { length: 1200 },
      (_, i) => `m${String(i + 1).padStart(4, "0")}@example.com,SEC-101,2025-06-01,,`,
    );
    // Row 1202 repeats row 2 (first chunk), so the warning needs the staged duplicate across slices.
    lines.push(lines[0]!);
    const ref = await p.upload("history_migration", "big.csv", [HEADER, ...lines].join("\n"));
    const crashed = await p.crashAfterFirstSlice();
    expect(crashed.total).toBe(1201);
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 1201, processed: 1201, succeeded: 1201, errors: 0, warnings: 1 });
    expect((await p.report(ref)).map(([row]) => row)).toEqual([1202]);
    const [count] = await p.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM training_history`);
    expect(count!.n).toBe(1200);
  });
});

describe("parseIsoDate", () => {
  test("reads ISO 8601 dates and date-times, UTC unless an offset is given", () => {
    expect(parseIsoDate("2025-11-03")).toBe(Date.parse("2025-11-03T00:00:00Z"));
    expect(parseIsoDate("2025-11-03T10:20")).toBe(Date.parse("2025-11-03T10:20:00Z"));
    expect(parseIsoDate("2025-11-03 10:20:30.5")).toBe(Date.parse("2025-11-03T10:20:30.500Z"));
    expect(parseIsoDate("2025-11-03T10:20:30-0130")).toBe(Date.parse("2025-11-03T11:50:30Z"));
    expect(parseIsoDate("2024-02-29")).toBe(Date.parse("2024-02-29T00:00:00Z"));
  });

  test("refuses loose and impossible dates", () => {
    for (const text of [
      "03/11/2025",
      "2025-2-3",
      "2023-02-29",
      "2025-13-01",
      "2025-11-03T24:00",
      "Nov 3 2025",
      "0099-01-01",
    ]) {
      expect(parseIsoDate(text)).toBeNull();
    }
  });
});
