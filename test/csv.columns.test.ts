/** Header rows as people type them, matched to the columns an upload reads (src/engine/csv-columns.ts). */
import { describe, expect, test } from "bun:test";
import { headerKey, matchColumns, missingColumnsReason } from "../src/engine/csv-columns";

const USERS = {
  required: ["email"],
  known: ["email", "first_name", "last_name", "role", "department", "groups"],
};
const HISTORY = {
  required: ["email", "course_code", "completed_at"],
  known: ["email", "course_code", "completed_at", "score", "status"],
};

describe("matchColumns", () => {
  test("case, spaces, hyphens and underscores are ignored", () => {
    expect(headerKey(" First-Name ")).toBe("firstname");
    expect(headerKey("FIRST_NAME")).toBe("firstname");
    expect(headerKey("E\u2011mail\u00a0Address")).toBe("emailaddress"); // Word's non-breaking hyphen and space
    const match = matchColumns(
      ["  EMAIL ", "First Name", "last-name", "Role", "DEPARTMENT", "groups"],
      USERS,
    );
    expect(match.missing).toEqual([]);
    expect(match.columns.map((c) => [c.name, c.index])).toEqual([
      ["email", 0],
      ["first_name", 1],
      ["last_name", 2],
      ["role", 3],
      ["department", 4],
      ["groups", 5],
    ]);
  });

  test("common synonyms name the same column", () => {
    const users = matchColumns(["Email Address", "Given name", "Surname", "Dept", "Group"], USERS);
    expect(users.columns.map((c) => c.name)).toEqual([
      "email",
      "first_name",
      "last_name",
      "department",
      "groups",
    ]);
    expect(matchColumns(["E-mail"], USERS).missing).toEqual([]);
    expect(matchColumns(["Mail"], USERS).missing).toEqual([]);
    const history = matchColumns(["User Email", "Course", "Completion Date", "Completion Status"], HISTORY);
    expect(history.columns.map((c) => [c.name, c.index])).toEqual([
      ["email", 0],
      ["course_code", 1],
      ["completed_at", 2],
      ["status", 3],
    ]);
  });

  test("the column's own name wins over a synonym; the first of repeated columns wins", () => {
    expect(matchColumns(["Mail", "Email"], USERS).columns[0]).toEqual({ name: "email", index: 1 });
    expect(matchColumns(["email", "EMAIL"], USERS).columns[0]).toEqual({ name: "email", index: 0 });
  });

  test("unknown columns are ignored; missing required ones are listed", () => {
    expect(matchColumns(["Name", "Phone"], USERS)).toEqual({ columns: [], missing: ["email"] });
    expect(matchColumns(["email", "date"], HISTORY).missing).toEqual(["course_code", "completed_at"]);
  });
});

describe("missingColumnsReason", () => {
  test("names what is missing, what the first row has, and what the upload needs", () => {
    expect(missingColumnsReason(["email"], ["Name", "Phone", ""], USERS, null)).toBe(
      "The file has no 'email' column. Its first row has \"Name\", \"Phone\". The first row must name the columns; this upload needs 'email' (for example: email,first_name,last_name,role,department,groups).",
    );
    expect(
      missingColumnsReason(["course_code", "completed_at"], ["email", "date"], HISTORY, null),
    ).toStartWith("The file has no 'course_code' or 'completed_at' column.");
  });

  test("a long header is quoted shortly", () => {
    const header = Array.from({ length: 12 }, (_, i) => `column number ${i} ${"x".repeat(i * 5)}`);
    const reason = missingColumnsReason(["email"], header, USERS, null);
    expect(reason).toContain(`"column number 7 ${"x".repeat(24)}…"`);
    expect(reason).toContain("and 4 more.");
    expect(reason).not.toContain("column number 8");
  });

  test("a header that looks separated by another character says so instead", () => {
    expect(missingColumnsReason(["email"], ["email:first_name"], USERS, ":")).toBe(
      'The file has no \'email\' column. Its first row has "email:first_name". That row looks separated by a colon (":"), which does not separate columns here: only commas, semicolons and TABs do. Save the file as CSV (in Excel, "CSV UTF-8 (Comma delimited)") and upload it again.',
    );
  });
});
