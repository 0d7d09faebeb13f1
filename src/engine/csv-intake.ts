/**
 * Stages a CSV upload: streamed through the decoder and parser (the file is never held twice), in
 * whatever dialect the spreadsheet wrote it (UTF-8 or UTF-16, comma, semicolon or TAB, decided from the
 * header row), the header matched loosely (csv-columns.ts), whole-file problems raised as
 * WholeActionError with a reason an admin can act on, and each data row turned into a compact staged
 * item by the action type. Each record's text as written is handed to the type too, which keeps it in the
 * items whose rows may end with an Error (to give those rows back as uploaded), and the upload's shape
 * (dialect and header row) is returned for the action to keep.
 */
import { readCsv } from "../csv/decode";
import type { CsvShape } from "../csv/dialect";
import { type ColumnSpec, matchColumns, missingColumnsReason } from "./csv-columns";
import type { Stager } from "./handler";
import { WholeActionError } from "./handler";
import type { UploadedFile } from "./submission";

export interface CsvSpec extends ColumnSpec {
  /**
   * Turns one data row into the staged item; `row` is the spreadsheet row number and `raw` the record's
   * text as written (its line end excluded).
   */
  toItem(cells: Record<string, string>, row: number, raw: string): unknown;
}

export async function stageCsv(
  file: UploadedFile,
  stager: Stager,
  spec: CsvSpec,
  limits: { maxRows: number; maxBytes: number },
): Promise<CsvShape> {
  let columns: { name: string; index: number }[] | null = null;
  let header = "";
  const reader = readCsv(file.stream(), {
    maxBytes: limits.maxBytes,
    keepRaw: true,
    preferHeader: (cells) => matchColumns(cells, spec).missing.length === 0,
  });
  for await (const batch of reader) {
    for (const record of batch) {
      if (!columns) {
        const match = matchColumns(record.fields, spec);
        if (match.missing.length > 0) {
          throw new WholeActionError(
            missingColumnsReason(match.missing, record.fields, spec, reader.lookalike),
          );
        }
        columns = match.columns;
        header = record.raw ?? "";
        continue;
      }
      if (stager.count >= limits.maxRows) {
        throw new WholeActionError(
          `The file has more than ${limits.maxRows.toLocaleString("en-US")} data rows; split it into smaller files.`,
        );
      }
      const cells: Record<string, string> = {};
      for (const column of columns) cells[column.name] = (record.fields[column.index] ?? "").trim();
      await stager.add(spec.toItem(cells, record.row, record.raw ?? ""));
    }
  }
  if (!columns) throw new WholeActionError("The file is empty: it has no header row and no data rows.");
  if (stager.count === 0) throw new WholeActionError("The file has a header row but no data rows.");
  return { ...reader.dialect!, header };
}
