/**
 * Stages a CSV upload: streamed through the decoder and parser (the file is never held twice), the
 * header matched case-insensitively, whole-file problems raised as WholeActionError with a reason an
 * admin can act on, and each data row turned into a compact staged item by the action type.
 */
import { parseCsvStream } from "../csv/decode";
import type { Stager } from "./handler";
import { WholeActionError } from "./handler";
import type { UploadedFile } from "./submission";

export interface CsvSpec {
  /** Columns the file must have (normalised names). */
  required: readonly string[];
  /** Columns the type understands; others are ignored. */
  known: readonly string[];
  /** Turns one data row into the staged item; `row` is the spreadsheet row number. */
  toItem(cells: Record<string, string>, row: number, present: ReadonlySet<string>): unknown;
}

/** `First Name`, `first-name` and `FIRST_NAME` all name the column `first_name`. */
export function normaliseHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

export async function stageCsv(
  file: UploadedFile,
  stager: Stager,
  spec: CsvSpec,
  limits: { maxRows: number; maxBytes: number },
) {
  let columns: { name: string; index: number }[] | null = null;
  let present = new Set<string>();
  for await (const batch of parseCsvStream(file.stream(), { maxBytes: limits.maxBytes })) {
    for (const record of batch) {
      if (!columns) {
        const names = record.fields.map(normaliseHeader);
        const missing = spec.required.filter((c) => !names.includes(c));
        if (missing.length > 0) {
          throw new WholeActionError(
            `The file has no ${missing.map((m) => `'${m}'`).join(" or ")} column. Its first row must name the columns, for example: ${spec.known.join(",")}.`,
          );
        }
        columns = spec.known
          .map((name) => ({ name, index: names.indexOf(name) }))
          .filter((c) => c.index >= 0);
        present = new Set(columns.map((c) => c.name));
        continue;
      }
      if (stager.count >= limits.maxRows) {
        throw new WholeActionError(
          `The file has more than ${limits.maxRows.toLocaleString("en-US")} data rows; split it into smaller files.`,
        );
      }
      const cells: Record<string, string> = {};
      for (const column of columns) cells[column.name] = (record.fields[column.index] ?? "").trim();
      await stager.add(spec.toItem(cells, record.row, present));
    }
  }
  if (!columns) throw new WholeActionError("The file is empty: it has no header row and no data rows.");
  if (stager.count === 0) throw new WholeActionError("The file has a header row but no data rows.");
}
