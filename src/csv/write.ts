/**
 * CSV writing for downloadable reports (error reports, exports). RFC 4180 with CRLF line ends,
 * UTF-8 with a BOM so Excel picks the right encoding, and formula neutralisation because these
 * files hold text typed by users and are opened in spreadsheets (OWASP "CSV injection"). Cells and
 * lines can also be written with an upload's own separator and line end, to add columns to its rows.
 */
import type { Delimiter } from "./dialect";

export type CsvCell = string | number;

/** A cell a spreadsheet would run as a formula (or that could hide one after a tab / CR). */
export const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell that must be quoted: its separator, quotes, line breaks, or edge spaces a reader may trim. */
const NEEDS_QUOTES: Record<Delimiter, RegExp> = {
  ",": /[",\r\n]|^[ \t]|[ \t]$/,
  ";": /[";\r\n]|^[ \t]|[ \t]$/,
  "\t": /["\t\r\n]|^ | $/,
};

/**
 * One cell as CSV text. Strings starting with `= + - @`, tab or CR get a leading `'` so they stay
 * text; numbers are written as they are (a negative number passed as a number is not a formula).
 */
export function csvCell(cell: CsvCell, delimiter: Delimiter = ","): string {
  if (typeof cell === "number") return String(cell);
  let text = cell;
  if (FORMULA_START.test(text)) text = `'${text}`;
  if (NEEDS_QUOTES[delimiter].test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

/** One record as a CSV line, its line end included (CRLF unless told). */
export function csvLine(cells: readonly CsvCell[], delimiter: Delimiter = ",", lineEnding = "\r\n"): string {
  let line = "";
  for (let k = 0; k < cells.length; k++) {
    if (k > 0) line += delimiter;
    line += csvCell(cells[k]!, delimiter);
  }
  return line + lineEnding;
}

/**
 * A pull-based UTF-8 CSV stream (BOM first, then the header, then each batch of rows as it is
 * pulled), so a report of any size is written without holding the whole file in memory.
 * Cancelling the stream ends the row iterator.
 */
export function csvStream(
  header: readonly string[],
  rows: AsyncIterable<readonly (readonly CsvCell[])[]>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let iterator: AsyncIterator<readonly (readonly CsvCell[])[]> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!iterator) {
          iterator = rows[Symbol.asyncIterator]();
          controller.enqueue(encoder.encode(`\uFEFF${csvLine(header)}`));
          return;
        }
        // Loop past empty batches so every pull delivers bytes or closes the stream.
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            controller.close();
            return;
          }
          if (next.value.length === 0) continue;
          let text = "";
          for (const row of next.value) text += csvLine(row);
          controller.enqueue(encoder.encode(text));
          return;
        }
      },
      async cancel(reason) {
        await iterator?.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
