/**
 * The failed rows to fix: what an admin corrects and uploads again. For a CSV upload, each row that had
 * an Error exactly as uploaded (its text as the file had it, every column, in order) under the upload's
 * own header row, in the upload's own dialect (encoding and BOM, separator, line end), plus `Issue` and
 * `Resolution` as the last two columns. The one change to the admin's bytes: a cell a spreadsheet would
 * run as a formula gets a leading `'` (raw-cells.ts). For a package upload, the packages that failed:
 * `File,Issue,Resolution`, UTF-8 with a BOM. Streamed from the report rows a page at a time, so the file
 * is kept and expired exactly like the error report.
 */
import type { ActionRow } from "../actions/repository";
import { failedRowsFileName } from "../actions/view";
import { type CsvShape, encodeCsvText } from "../csv/dialect";
import { ownCells, safeRecord } from "../csv/raw-cells";
import { csvCell, csvStream } from "../csv/write";
import type { Db } from "../db/client";
import { contentDisposition, reportLinePages } from "./download";

export const PACKAGES_HEADER = ["File", "Issue", "Resolution"];

/** The action's Error lines in row order, a page at a time. */
async function* errorPages(db: Db, actionId: number) {
  for await (const rows of reportLinePages(db, actionId)) yield rows.filter((r) => r.status === "Error");
}

/** The upload's shape as staging kept it; null where none was kept (a package upload, or an older action). */
export function shapeOf(action: Pick<ActionRow, "source">): CsvShape | null {
  return action.source ? (JSON.parse(action.source) as CsvShape) : null;
}

/** The text of the file, a page of rows at a time: the header first, each row as uploaded plus two cells. */
async function* failedRowsText(db: Db, actionId: number, shape: CsvShape): AsyncGenerator<string> {
  const { delimiter, lineEnding } = shape;
  const keep = ownCells(shape.header, delimiter);
  const header = safeRecord(shape.header, delimiter, keep);
  const tail = (cells: number, issue: string, resolution: string) =>
    delimiter.repeat(Math.max(0, keep - cells)) +
    delimiter +
    csvCell(issue, delimiter) +
    delimiter +
    csvCell(resolution, delimiter) +
    lineEnding;
  yield header.text + tail(header.cells, "Issue", "Resolution");
  for await (const page of errorPages(db, actionId)) {
    let text = "";
    for (const row of page) {
      // Every Error row of a CSV upload has its text; were one missing, its columns are left empty.
      const record = row.raw === null ? { text: "", cells: 1 } : safeRecord(row.raw, delimiter, keep);
      text += record.text + tail(record.cells, row.issue, row.resolution);
    }
    if (text) yield text;
  }
}

/** Bytes of the dialect's encoding, the BOM (when the upload had one) only before the first text. */
function encodedStream(texts: AsyncGenerator<string>, shape: CsvShape): ReadableStream<Uint8Array> {
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await texts.next();
        if (next.done) {
          controller.close();
          return;
        }
        controller.enqueue(encodeCsvText(next.value, { encoding: shape.encoding, bom: first && shape.bom }));
        first = false;
      },
      async cancel() {
        await texts.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

async function* packagePages(db: Db, actionId: number) {
  for await (const page of errorPages(db, actionId)) {
    yield page.map((r) => [r.identifier, r.issue, r.resolution] as const);
  }
}

/** The download: the CSV rows in the upload's shape, or the list of the packages that failed. */
export function failedRowsResponse(db: Db, action: ActionRow): Response {
  const shape = shapeOf(action);
  const body = shape
    ? encodedStream(failedRowsText(db, action.id, shape), shape)
    : csvStream(PACKAGES_HEADER, packagePages(db, action.id));
  return new Response(body, {
    headers: {
      "content-type": `text/csv; charset=${shape?.encoding ?? "utf-8"}`,
      "content-disposition": contentDisposition(failedRowsFileName(action)),
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
