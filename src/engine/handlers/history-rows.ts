/**
 * The row checks of `history_migration` that need nothing but the row itself: the date, the score and
 * the status. They run twice: while staging (only a row that passes them can be the "first" of a
 * repeated record) and while applying (to write the report), so they are pure functions of the cells.
 */
import type { RowProblem } from "../row-problems";

export const HISTORY_STATUSES = ["completed", "passed", "failed"] as const;
export type HistoryStatus = (typeof HISTORY_STATUSES)[number];

/**
 * The staged cells of one row: [row, email, courseCode, completedAt, score, status, duplicateOfRow, raw].
 * Every row keeps its text as uploaded (`raw`): whether it ends with an Error depends on the portal's
 * users and courses when it is applied, not only on its cells.
 */
export type HistoryItem = [number, string, string, string, string, string, number, string];

/** A row that passed the local checks. */
export interface HistoryRecord {
  email: string;
  code: string;
  completedAt: number;
  score: number | null;
  status: HistoryStatus;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * An ISO 8601 date (`2025-11-03`, midnight UTC) or date-time (`2025-11-03T14:30:00Z`, with an offset or
 * without one, then read as UTC) in milliseconds; null for anything else, including impossible dates
 * such as 2025-02-30 and loose formats such as 03/11/2025 whose meaning depends on the country.
 */
export function parseIsoDate(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0)) as number[];
  if (year! < 1900 || month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59) return null;
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day) return null;
  const millis = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  let offsetMinutes = 0;
  const zone = m[8]?.toUpperCase();
  if (zone && zone !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || 0);
    if (hours > 14 || minutes > 59) return null;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
  }
  return date.getTime() + ((hour! * 60 + minute! - offsetMinutes) * 60 + second!) * 1000 + millis;
}

/** Identity of a record: one completion of one course by one learner at one time. */
export const recordKey = (email: string, code: string, completedAt: number) =>
  JSON.stringify([email.toLowerCase(), code, completedAt]);

const AGAIN = "then upload this row again.";

/** Checks a row's own cells; `now` bounds the completion date. */
export function checkHistoryRow(
  item: HistoryItem,
  now: number,
): { problems: RowProblem[]; record: HistoryRecord | null } {
  const [, email, code, dateText, scoreText, statusText] = item;
  const problems: RowProblem[] = [];
  const error = (issue: string, resolution: string) => problems.push({ status: "Error", issue, resolution });
  if (!email) error("The email address is missing.", `Add the learner's email address, ${AGAIN}`);
  if (!code) error("The course code is missing.", `Add the code of the course, ${AGAIN}`);
  const completedAt = dateText ? parseIsoDate(dateText) : null;
  if (!dateText) {
    error(
      "The completion date is missing.",
      `Add the date in completed_at (for example 2025-11-03), ${AGAIN}`,
    );
  } else if (completedAt === null) {
    error(
      `"${dateText}" is not an ISO 8601 date.`,
      `Write the date as YYYY-MM-DD (for example 2025-11-03) or YYYY-MM-DDTHH:MM:SSZ, ${AGAIN}`,
    );
  } else if (completedAt > now) {
    error(
      `The completion date ${dateText} is in the future.`,
      `Correct the date to the day the learner completed the course, ${AGAIN}`,
    );
  }
  let score: number | null = null;
  if (scoreText) {
    // A decimal comma is how Excel writes 87.5 with European regional settings; a score has no thousands.
    score = /^\d+([.,]\d+)?$/.test(scoreText) ? Number(scoreText.replace(",", ".")) : Number.NaN;
    if (!(score >= 0 && score <= 100)) {
      error(
        `The score "${scoreText}" is not a number from 0 to 100.`,
        `Write the score as a number from 0 to 100, or leave it empty, ${AGAIN}`,
      );
    }
  }
  const status = (statusText.toLowerCase() || "completed") as HistoryStatus;
  if (!HISTORY_STATUSES.includes(status)) {
    error(
      `The status "${statusText}" is not completed, passed or failed.`,
      `Use completed, passed or failed (or leave it empty for completed), ${AGAIN}`,
    );
  }
  if (problems.length > 0 || completedAt === null) return { problems, record: null };
  return {
    problems,
    // Scores are whole percentages in the portal.
    record: {
      email: email.toLowerCase(),
      code,
      completedAt,
      score: score === null ? null : Math.round(score),
      status,
    },
  };
}
