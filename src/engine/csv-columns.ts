/**
 * Matching a CSV's header row to the columns an action type reads. People type headers as they like
 * (`Email Address`, `E-mail`, `First Name`, `FIRST_NAME`), so case, spaces, hyphens and underscores are
 * ignored and a few common synonyms name the same column. When a needed column is missing, the reason
 * names the columns the file has and the ones the upload needs.
 */
import { delimiterName } from "../csv/dialect";

export interface ColumnSpec {
  /** Columns the file must have (canonical names, as the contract spells them). */
  required: readonly string[];
  /** Columns the type understands, in the order of an example header; others are ignored. */
  known: readonly string[];
}

/** Other names of a column, as header keys (see headerKey); the canonical name itself always matches. */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  email: ["emailaddress", "mail", "mailaddress", "useremail", "emailid"],
  first_name: ["givenname", "forename", "first"],
  last_name: ["surname", "familyname", "last"],
  role: ["userrole"],
  department: ["dept"],
  groups: ["group"],
  course_code: ["course", "courseid"],
  completed_at: ["completiondate", "completedon", "completeddate", "datecompleted"],
  status: ["completionstatus"],
};

/** `Email Address`, `email_address` and `E-MAIL-ADDRESS` all give `emailaddress`. */
export function headerKey(name: string): string {
  return name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s_\-\u2010-\u2015]+/g, "");
}

export interface ColumnMatch {
  /** Each known column the header has, with its position (the first such column when it repeats). */
  columns: { name: string; index: number }[];
  /** Required columns the header does not have. */
  missing: string[];
}

/** Finds each known column: by its own name first, then by a synonym. */
export function matchColumns(header: readonly string[], spec: ColumnSpec): ColumnMatch {
  const keys = header.map(headerKey);
  const columns: ColumnMatch["columns"] = [];
  for (const name of spec.known) {
    let index = keys.indexOf(headerKey(name));
    const synonyms = SYNONYMS[name];
    if (index < 0 && synonyms) index = keys.findIndex((key) => synonyms.includes(key));
    if (index >= 0) columns.push({ name, index });
  }
  const found = new Set(columns.map((c) => c.name));
  return { columns, missing: spec.required.filter((name) => !found.has(name)) };
}

/** "a", "a or b", "a, b or c". */
function listOf(items: readonly string[], last: "or" | "and"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${last} ${items.at(-1)}`;
}

const SHOWN_CELLS = 8;
const SHOWN_CHARS = 40;

/** The header's cells as the reason quotes them: the first few, each cut short. */
function describeHeader(header: readonly string[]): string {
  const cells = header.map((cell) => cell.trim()).filter(Boolean);
  const shown = cells
    .slice(0, SHOWN_CELLS)
    .map((cell) => `"${cell.length > SHOWN_CHARS ? `${cell.slice(0, SHOWN_CHARS)}…` : cell}"`);
  const more = cells.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

/**
 * Why the header does not do: `The file has no 'email', 'course_code' or 'completed_at' column.`, what
 * its first row has, and either the separator it seems to use or the columns this upload needs.
 */
export function missingColumnsReason(
  missing: readonly string[],
  header: readonly string[],
  spec: ColumnSpec,
  lookalike: string | null,
): string {
  const parts = [
    `The file has no ${listOf(
      missing.map((m) => `'${m}'`),
      "or",
    )} column.`,
  ];
  const described = describeHeader(header);
  if (described) parts.push(`Its first row has ${described}.`);
  if (lookalike) {
    parts.push(
      `That row looks separated by ${delimiterName(lookalike)}, which does not separate columns here: only commas, semicolons and TABs do. Save the file as CSV (in Excel, "CSV UTF-8 (Comma delimited)") and upload it again.`,
    );
  } else {
    parts.push(
      `The first row must name the columns; this upload needs ${listOf(
        spec.required.map((r) => `'${r}'`),
        "and",
      )} (for example: ${spec.known.join(",")}).`,
    );
  }
  return parts.join(" ");
}
