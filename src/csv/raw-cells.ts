/**
 * Working on a record's text exactly as the file had it (a CsvRecord's `raw`), without re-writing it:
 * where each cell lies, and the few changes that giving rows back needs. Every byte not named here stays
 * as the admin's spreadsheet wrote it (quotes, spaces, line breaks inside quoted cells).
 */
import type { Delimiter } from "./dialect";
import { FORMULA_START } from "./write";

const QUOTE = 34;

/** Where one cell lies in the record's text: `[start, end)`, opening quote included. */
export interface CellSpan {
  start: number;
  end: number;
  quoted: boolean;
}

/** The cells of one record's text, read as the parser reads them (a quote opens only at a cell's start). */
export function cellSpans(raw: string, delimiter: Delimiter): CellSpan[] {
  const spans: CellSpan[] = [];
  const sep = delimiter.charCodeAt(0);
  let i = 0;
  for (;;) {
    const start = i;
    const quoted = raw.charCodeAt(i) === QUOTE;
    if (quoted) {
      i++;
      for (;;) {
        const q = raw.indexOf('"', i);
        if (q < 0) {
          i = raw.length;
          break;
        }
        i = q + 1;
        if (raw.charCodeAt(i) === QUOTE) i++;
        else break;
      }
    }
    // Unquoted text, or what follows a closing quote, runs to the next separator.
    while (i < raw.length && raw.charCodeAt(i) !== sep) i++;
    spans.push({ start, end: i, quoted });
    if (i >= raw.length) return spans;
    i++;
  }
}

/** The cell's value: quotes removed and doubled ones undone, as the parser gives it. */
export function cellValue(raw: string, span: CellSpan): string {
  const text = raw.slice(span.start, span.end);
  if (!span.quoted) return text;
  const close = closingQuote(text);
  return text.slice(1, close).replaceAll('""', '"') + text.slice(close + 1);
}

function closingQuote(text: string): number {
  let i = 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    if (text.charCodeAt(q + 1) === QUOTE) i = q + 2;
    else return q;
  }
}

/** A plain number, which a spreadsheet reads as a number whatever its sign: never a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/;

/** A cell that starts like a formula (write.ts's FORMULA_START) and is not a plain number. */
export function runsAsFormula(value: string): boolean {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value);
}

/**
 * The record's text with each cell a spreadsheet would run as a formula made text by a leading `'`
 * (inside its quotes when quoted), and cut to its first `keep` cells when given. The one change to the
 * admin's bytes; every other byte is kept.
 */
export function safeRecord(
  raw: string,
  delimiter: Delimiter,
  keep?: number,
): { text: string; cells: number } {
  const spans = cellSpans(raw, delimiter);
  const kept = keep === undefined ? spans : spans.slice(0, keep);
  let text = "";
  let from = 0;
  for (const span of kept) {
    if (runsAsFormula(cellValue(raw, span))) {
      const at = span.quoted ? span.start + 1 : span.start;
      text += `${raw.slice(from, at)}'`;
      from = at;
    }
  }
  const end = kept.length > 0 ? kept[kept.length - 1]!.end : 0;
  return { text: text + raw.slice(from, end), cells: kept.length };
}

/**
 * How many cells of a header row are the upload's own: all of them, except a last `Issue` and
 * `Resolution` pair, which a file of failed rows added (a fixed file uploaded again that still had
 * errors): those are replaced, not repeated.
 */
export function ownCells(header: string, delimiter: Delimiter): number {
  const spans = cellSpans(header, delimiter);
  const names = spans.map((span) => cellValue(header, span).trim().toLowerCase());
  const n = names.length;
  return n >= 3 && names[n - 2] === "issue" && names[n - 1] === "resolution" ? n - 2 : n;
}
