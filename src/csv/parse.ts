/**
 * Incremental RFC 4180 CSV parser. Runtime-agnostic (Bun, Node, Workers): plain string code only.
 *
 * Fed with text chunks that may split anywhere, it returns each complete record with its
 * spreadsheet-style row number. Only the current partial record is kept between chunks, and the
 * scan works with `indexOf` + `slice` (never char-by-char concatenation) to stay fast. The separator
 * is a comma, a semicolon or a TAB (chosen by the caller: see sniff.ts for detecting it).
 */
import type { Delimiter, LineEnding } from "./dialect";

export type CsvErrorCode =
  | "field_too_long"
  | "too_many_columns"
  | "unclosed_quote"
  | "binary"
  | "not_utf8"
  | "too_large";

/** A problem with an uploaded file. `message` is written for an admin and can be shown as is. */
export class CsvError extends Error {
  override readonly name = "CsvError";
  /** Machine-readable kind, for callers and tests; `message` is the human one. */
  readonly code: CsvErrorCode;
  /** Spreadsheet-style row (1 = first line) the problem is on, when it belongs to a row. */
  readonly row: number | undefined;

  constructor(code: CsvErrorCode, message: string, row?: number) {
    super(message);
    this.code = code;
    this.row = row;
  }
}

/** One record. `row` counts every record before it, blank lines included, so header = 1. */
export interface CsvRecord {
  fields: string[];
  row: number;
  /**
   * With `keepRaw`: the record's text exactly as it is in the file (after the BOM), from its first
   * character to just before its line end; a quoted line break inside it is kept as written.
   */
  raw?: string;
}

export interface CsvParserOptions {
  /** Longest field allowed, in characters (UTF-16 code units). Default 1 MiB. */
  maxFieldBytes?: number;
  /** Most fields allowed in one record. Default 1,000. */
  maxColumns?: number;
  /** What separates fields. Default a comma. */
  delimiter?: Delimiter;
  /** Give each record its `raw` text too (costs one string per record; off by default). */
  keepRaw?: boolean;
}

export const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;
export const DEFAULT_MAX_COLUMNS = 1000;

/** "1 MiB", "64 KiB" or "1,500 bytes": sizes as an admin reads them. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes.toLocaleString("en-US")} bytes`;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const BOM = 0xfeff;

// Parser states. "After a closing quote" needs no state of its own: it behaves like an
// unquoted field whose text so far is the quoted content (so `"ab"c` gives `abc`).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** The chunk ended on a `"` inside a quoted field: the next char says if it was `""` or the close. */
const QUOTE_PENDING = 3;

/**
 * Usage: `for (chunk of text) handle(parser.push(chunk)); handle(parser.end());`.
 * Blank lines, and records whose fields are all empty (`,,,,` where a spreadsheet's used range is
 * wider or longer than its data), are not returned but do use up a row number.
 * Throws `CsvError` on limits and on a quoted field still open at `end()`.
 */
export class CsvParser {
  private readonly maxField: number;
  private readonly maxColumns: number;
  private readonly delimiterCode: number;
  private readonly keepRaw: boolean;
  /** Raw text of the current record from earlier chunks (only with `keepRaw`). */
  private rawAcc = "";
  /** The first line end seen outside quotes; null until one is seen. */
  private firstLineEnding: LineEnding | null = null;
  private state = FIELD_START;
  /** Text of the current field gathered from earlier chunks (or before a `""`). */
  private acc = "";
  private fields: string[] = [];
  /** Records finished so far, blank ones included. */
  private rows = 0;
  /** The previous chunk ended a record with CR: a LF starting the next chunk belongs to it. */
  private skipLF = false;
  private seenText = false;
  private ended = false;

  constructor(options: CsvParserOptions = {}) {
    this.maxField = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
    this.maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
    this.delimiterCode = (options.delimiter ?? ",").charCodeAt(0);
    this.keepRaw = options.keepRaw ?? false;
  }

  /** How the first line that ended outside quotes ended (null while none has, or a lone CR may be a CRLF). */
  get lineEnding(): LineEnding | null {
    return this.firstLineEnding;
  }

  /** Feeds the next piece of text; returns the records it completed (possibly none). */
  push(chunk: string): CsvRecord[] {
    if (this.ended) throw new Error("CsvParser.push() called after end()");
    const out: CsvRecord[] = [];
    if (chunk.length === 0) return out;
    let s = chunk;
    if (!this.seenText) {
      this.seenText = true;
      if (s.charCodeAt(0) === BOM) s = s.slice(1);
    }
    this.scan(s, out);
    return out;
  }

  /** Flushes the last record (a final line needs no newline). Throws if a quote was left open. */
  end(): CsvRecord[] {
    if (this.ended) return [];
    this.ended = true;
    const out: CsvRecord[] = [];
    if (this.state === QUOTED) {
      const row = this.rows + 1;
      throw new CsvError("unclosed_quote", `Row ${row} opens a quoted field that is never closed.`, row);
    }
    if (this.skipLF) this.noteLineEnding("\r");
    if (this.state !== FIELD_START || this.fields.length > 0) {
      this.addField(this.fields, this.acc, this.rows + 1);
      this.acc = "";
      this.emitLast(this.fields, out, this.rawAcc);
      this.fields = [];
    }
    this.rawAcc = "";
    this.state = FIELD_START;
    return out;
  }

  private scan(s: string, out: CsvRecord[]): void {
    const n = s.length;
    let i = 0;
    let state = this.state;
    let acc = this.acc;
    let fields = this.fields;
    const delimiterCode = this.delimiterCode;
    const keepRaw = this.keepRaw;
    // Next delimiter / LF / CR at or after i, cached across fields (n = none left in this chunk).
    let next = -1;
    let lf = -1;
    let cr = -1;

    if (this.skipLF) {
      this.skipLF = false;
      if (s.charCodeAt(0) === LF) i = 1;
      this.noteLineEnding(i === 1 ? "\r\n" : "\r");
    }
    /** Where the current record starts in this chunk (for `raw`). */
    let recordStart = i;

    while (i < n) {
      if (state === FIELD_START) {
        if (s.charCodeAt(i) === QUOTE) {
          state = QUOTED;
          i++;
          continue;
        }
        state = UNQUOTED;
      }

      if (state === UNQUOTED) {
        // Literal separators: indexOf with a constant one-character string is markedly faster in JSC.
        if (next < i) {
          next =
            delimiterCode === 44
              ? indexOrEnd(s, ",", i)
              : delimiterCode === 59
                ? indexOrEnd(s, ";", i)
                : indexOrEnd(s, "\t", i);
        }
        if (lf < i) lf = indexOrEnd(s, "\n", i);
        if (cr < i) cr = indexOrEnd(s, "\r", i);
        const end = Math.min(next, lf, cr);
        if (end === n) {
          acc += s.slice(i);
          break;
        }
        const field = acc + s.slice(i, end);
        acc = "";
        this.addField(fields, field, this.rows + 1);
        state = FIELD_START;
        i = end + 1;
        const c = s.charCodeAt(end);
        if (c !== delimiterCode) {
          const row = ++this.rows;
          // Blank lines and rows of empty fields are numbered, not returned (the first field decides most).
          if (fields[0] !== "" || !isBlank(fields)) {
            if (keepRaw) {
              out.push({ fields, row, raw: this.rawAcc + s.slice(recordStart, end) });
            } else out.push({ fields, row });
          }
          fields = [];
          if (c === CR) {
            if (i === n) this.skipLF = true;
            else if (s.charCodeAt(i) === LF) i++;
          }
          if (keepRaw) {
            this.rawAcc = "";
            recordStart = i;
          }
          if (this.firstLineEnding === null && !this.skipLF) this.noteLineEnding(s.slice(end, i));
        }
        continue;
      }

      if (state === QUOTE_PENDING) {
        if (s.charCodeAt(i) === QUOTE) {
          acc += '"';
          i++;
          state = QUOTED;
        } else {
          state = UNQUOTED;
        }
        continue;
      }

      // QUOTED
      const q = s.indexOf('"', i);
      if (q < 0) {
        acc += s.slice(i);
        break;
      }
      acc += s.slice(i, q);
      i = q + 1;
      if (i === n) {
        state = QUOTE_PENDING;
      } else if (s.charCodeAt(i) === QUOTE) {
        acc += '"';
        i++;
      } else {
        state = UNQUOTED;
      }
    }

    this.state = state;
    this.acc = acc;
    this.fields = fields;
    if (keepRaw && recordStart < n) this.rawAcc += s.slice(recordStart);
    if (acc.length > this.maxField) this.fieldTooLong(this.rows + 1);
  }

  /** Keeps the first line end seen (a CR at the end of a chunk is decided by the next chunk). */
  private noteLineEnding(ending: string): void {
    if (this.firstLineEnding === null) this.firstLineEnding = ending as LineEnding;
  }

  private addField(fields: string[], field: string, row: number): void {
    if (field.length > this.maxField) this.fieldTooLong(row);
    if (fields.length >= this.maxColumns) {
      throw new CsvError(
        "too_many_columns",
        `Row ${row} has more than ${this.maxColumns.toLocaleString("en-US")} columns.`,
        row,
      );
    }
    fields.push(field);
  }

  /** The last record, at `end()`: numbered, and returned unless blank. */
  private emitLast(fields: string[], out: CsvRecord[], raw: string): void {
    const row = ++this.rows;
    if (isBlank(fields)) return;
    out.push(this.keepRaw ? { fields, row, raw } : { fields, row });
  }

  private fieldTooLong(row: number): never {
    throw new CsvError(
      "field_too_long",
      `Row ${row} has a field longer than ${formatSize(this.maxField)}.`,
      row,
    );
  }
}

/** A blank line, or a record of empty fields only. Usually decided by the first field. */
function isBlank(fields: string[]): boolean {
  for (let k = 0; k < fields.length; k++) if (fields[k] !== "") return false;
  return true;
}

function indexOrEnd(s: string, ch: string, from: number): number {
  const at = s.indexOf(ch, from);
  return at < 0 ? s.length : at;
}

/** Parses a whole string at once (small inputs and tests). */
export function parseCsv(text: string, options?: CsvParserOptions): CsvRecord[] {
  const parser = new CsvParser(options);
  const records = parser.push(text);
  for (const r of parser.end()) records.push(r);
  return records;
}
