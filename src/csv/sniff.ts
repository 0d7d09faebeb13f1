/**
 * Which separator a CSV uses, decided from its header row alone. A data row can mislead (a comma in an
 * address, a `;` list of groups), the header row names the columns and is written by the same program
 * with the same separator, so it is the one row to trust. Quoted cells are respected: a `,` inside
 * `"Last, First"` separates nothing.
 */
import type { Delimiter } from "./dialect";
import { CsvError, parseCsv } from "./parse";

/** The candidates, the least likely inside a column name first: the first of equals wins. */
const TIE_ORDER: readonly Delimiter[] = ["\t", ";", ","];

/** How much text is searched for the end of the header row. */
export const SNIFF_LIMIT = 64 * 1024;

/** Characters that people or tools sometimes separate columns with, which are not read as separators. */
const LOOKALIKES = ["|", ":", "^", "~"] as const;

const QUOTE = 34;
const LF = 10;
const CR = 13;

export interface HeaderSniff {
  delimiter: Delimiter;
  /**
   * A character the header looks separated by although it is not a comma, semicolon or TAB (for the
   * failure reason when the columns are not found); null when nothing suggests one.
   */
  lookalike: string | null;
}

/**
 * Decides the separator from the first row that has any text (blank rows and rows of separators above
 * it are skipped), or answers null when `text` does not hold that whole row yet and more may come
 * (`final` false and under SNIFF_LIMIT). `prefer` says whether a row's cells are the header the caller
 * needs: a separator that gives such a header wins; otherwise the one that separates most cells, ties
 * going to the character less likely to be part of a column name (TAB, then semicolon, then comma:
 * `Name, given;Email` is a semicolon file). A row with none of them is one column (comma).
 */
export function sniffHeader(
  text: string,
  final: boolean,
  prefer?: (cells: string[]) => boolean,
): HeaderSniff | null {
  const line = headerLine(text, final || text.length >= SNIFF_LIMIT);
  if (line === null) return null;
  const options = TIE_ORDER.map((delimiter) => ({ delimiter, cells: splitCells(line, delimiter) }));
  const preferred = prefer ? options.filter((o) => prefer(o.cells)) : [];
  const pool = preferred.length > 0 ? preferred : options;
  let best = { delimiter: "," as Delimiter, cells: [line] };
  for (const option of pool) if (option.cells.length > best.cells.length) best = option;

  let lookalike: string | null = null;
  if (preferred.length === 0) {
    const separated = best.cells.length > 1;
    lookalike =
      LOOKALIKES.find((ch) => line.includes(ch) && (prefer?.(splitCells(line, ch)) || !separated)) ?? null;
  }
  return { delimiter: best.delimiter, lookalike };
}

/**
 * The first row with text: up to its line end outside quotes, or (with `atEnd`) whatever is there.
 * A quote opens a quoted cell only at the start of a cell, after any of the candidate separators.
 */
function headerLine(text: string, atEnd: boolean): string | null {
  let start = 0;
  const limit = Math.min(text.length, SNIFF_LIMIT);
  while (start < limit) {
    const end = lineEnd(text, start, limit);
    if (end < 0) return atEnd ? text.slice(start, limit) : null;
    const line = text.slice(start, end);
    if (!/^[\s,;"]*$/.test(line)) return line;
    start = end + (text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF ? 2 : 1);
  }
  return atEnd ? "" : null;
}

function lineEnd(text: string, from: number, limit: number): number {
  let quoted = false;
  let cellStart = true;
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === QUOTE) {
        if (text.charCodeAt(i + 1) === QUOTE) i++;
        else quoted = false;
      }
      continue;
    }
    if (c === LF || c === CR) return i;
    if (c === QUOTE && cellStart) quoted = true;
    cellStart = c === 44 || c === 59 || c === 9; // , ; TAB
  }
  return -1;
}

/** The row's cells with this separator, read by the parser itself (a row cut off mid-quote: split plainly). */
function splitCells(line: string, delimiter: string): string[] {
  if (delimiter.length === 1 && (delimiter === "," || delimiter === ";" || delimiter === "\t")) {
    try {
      return parseCsv(line, { delimiter: delimiter as Delimiter })[0]?.fields ?? [""];
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
    }
  }
  return line.split(delimiter);
}
