/**
 * Uploads whose outcome is known row by row: user CSVs, history CSVs and sets of content packages, each
 * with the exact counts and the exact report rows (row number → Error/Warning) the engine must produce.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../../src/db/client";
import { usersCsv } from "../../support/users-csv";
import { patchEntry, SCORM12_MANIFEST, zipFiles } from "../../support/zip-fixtures";

export interface Expected {
  total: number;
  errors: number;
  warnings: number;
  /** Report rows: spreadsheet row (or package position) → status. */
  report: Map<number, "Error" | "Warning">;
}

export interface CsvUpload {
  type: "user_upload" | "history_migration";
  fileName: string;
  body: string;
  expected: Expected;
  /** For user uploads: the email prefix of the users it creates. */
  prefix?: string;
}

/** A user upload of `n` rows (every 10th an Error, every 7th a Warning), from the shared test support. */
export function userUpload(n: number, prefix: string): CsvUpload {
  const { csv } = usersCsv(n, prefix);
  const report = new Map<number, "Error" | "Warning">();
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) report.set(i + 2, "Error");
    else if (i % 7 === 6) report.set(i + 2, "Warning");
  }
  return {
    type: "user_upload",
    fileName: `${prefix}users.csv`,
    body: csv,
    expected: tally(n, report),
    prefix,
  };
}

export const HISTORY_USERS = 500;
export const HISTORY_COURSES = ["HIST-1", "HIST-2", "HIST-3", "HIST-4", "HIST-5"];

/** Users and courses that history uploads refer to, inserted directly into portal `portal`. */
export async function seedHistoryPortal(db: Db, portal: string): Promise<void> {
  const emails = JSON.stringify(Array.from({ length: HISTORY_USERS }, (_, i) => `h${i}@example.com`));
  await db.run(sql`
    INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
    SELECT ${portal}, value, 'H', 'Learner', 'learner', 'History', 0, 0 FROM json_each(${emails})`);
  const codes = JSON.stringify(HISTORY_COURSES);
  await db.run(sql`
    INSERT INTO courses (portal_id, code, title, created_at, updated_at)
    SELECT ${portal}, value, 'History ' || value, 0, 0 FROM json_each(${codes})`);
}

/**
 * A history upload of `n` rows, file number `file` (dates never meet another file's): unknown users and
 * bad dates are Errors, a row repeating the previous one is a Warning (kept once).
 */
export function historyUpload(n: number, file: number): CsvUpload {
  const lines = ["email,course_code,completed_at,score,status"];
  const report = new Map<number, "Error" | "Warning">();
  const base = Date.UTC(2012, 0, 1) + file * 400 * 86_400_000;
  let previous: string | null = null;
  for (let i = 0; i < n; i++) {
    const row = i + 2;
    const ok = `h${(i * 7 + file) % HISTORY_USERS}@example.com,${HISTORY_COURSES[i % 5]},${new Date(
      base + i * 60_000,
    ).toISOString()},${i % 101},${i % 4 === 0 ? "passed" : "completed"}`;
    if (i % 23 === 5) {
      lines.push(`nobody${i}@example.com,HIST-1,2020-01-01,50,completed`);
      report.set(row, "Error");
      previous = null;
    } else if (i % 29 === 7) {
      lines.push(`h1@example.com,HIST-2,31/12/2019,50,completed`);
      report.set(row, "Error");
      previous = null;
    } else if (i % 31 === 11 && previous) {
      lines.push(previous);
      report.set(row, "Warning");
      previous = null;
    } else {
      lines.push(ok);
      previous = ok;
    }
  }
  return {
    type: "history_migration",
    fileName: `history-${file}.csv`,
    body: `${lines.join("\n")}\n`,
    expected: tally(n, report),
  };
}

function tally(n: number, report: Map<number, "Error" | "Warning">): Expected {
  let errors = 0;
  for (const status of report.values()) if (status === "Error") errors++;
  return { total: n, errors, warnings: report.size - errors, report };
}

/** A valid SCORM 1.2 package whose course code is `code`. */
export function scormPackage(code: string): Uint8Array {
  return zipFiles({
    "imsmanifest.xml": SCORM12_MANIFEST.replace('identifier="SAFETY-101"', `identifier="${code}"`),
    "index_lms.html": `<html>${code}</html>`,
    "other.html": "<html>other</html>",
  });
}

export interface PackageUpload {
  files: [string, Uint8Array][];
  expected: Expected;
  /** Codes of the courses the valid packages create. */
  codes: string[];
}

/** `valid` good packages (codes `<prefix>-<n>`) interleaved with broken ones; each broken one is an Error. */
export function packageUpload(prefix: string, valid: number): PackageUpload {
  const broken: [string, Uint8Array][] = [
    [
      "zip-slip.zip",
      zipFiles({ "imsmanifest.xml": SCORM12_MANIFEST, "../../evil.html": "x", "index_lms.html": "x" }),
    ],
    ["not-a-zip.zip", new TextEncoder().encode("this is not a zip file at all")],
    ["no-manifest.zip", zipFiles({ "index.html": "<html></html>" })],
    ["truncated.zip", scormPackage(`${prefix}-T`).slice(0, 200)],
    ["encrypted.zip", patchEntry(scormPackage(`${prefix}-E`), "index_lms.html", { flags: 1 })],
  ];
  const files: [string, Uint8Array][] = [];
  const report = new Map<number, "Error" | "Warning">();
  const codes: string[] = [];
  let b = 0;
  for (let i = 0; i < valid; i++) {
    const code = `${prefix}-${i + 1}`;
    files.push([`${code}.zip`, scormPackage(code)]);
    codes.push(code);
    if (i % 2 === 1 && b < broken.length) {
      files.push(broken[b++]!);
      report.set(files.length, "Error");
    }
  }
  while (b < broken.length) {
    files.push(broken[b++]!);
    report.set(files.length, "Error");
  }
  return { files, expected: tally(files.length, report), codes };
}
