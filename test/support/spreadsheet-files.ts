/**
 * CSV files byte for byte as spreadsheet programs save them, from the cells a person typed. Each builder
 * says which program and setting it imitates and what that program is documented (or, for LibreOffice,
 * seen: test/csv.calc-output.test.ts compares with the real `soffice`) to write:
 *
 * - Excel "CSV UTF-8 (Comma delimited)": UTF-8 with a BOM; the separator is the Windows list separator
 *   (`,` with US/UK regional settings, `;` wherever the decimal separator is a comma: Germany, France,
 *   Spain, Italy, the Netherlands…); every row ends with CRLF, the last one too; a cell is quoted when it
 *   holds the separator, a double quote or a line break, quotes doubled; a line break typed in a cell
 *   (Alt+Enter) is a lone LF. Rows of the used range that hold no data are written as separators only.
 * - Excel "CSV (Comma delimited)": the same, in the Windows code page (Windows-1252 in Western Europe),
 *   without a BOM; characters the code page lacks become `?`.
 * - Excel "Unicode Text": UTF-16LE with a BOM, TAB-separated, CRLF, the same quoting.
 * - Google Sheets, File › Download › CSV: UTF-8 without a BOM, commas whatever the locale, CRLF between
 *   rows and no line break after the last one (see uniVocity/univocity-parsers#530).
 * - LibreOffice Calc, File › Save As › Text CSV on Linux: LF line ends, no BOM for UTF-8, "Quote all
 *   text cells" on by default (text quoted, empty cells not); with the character set "Unicode (UTF-16)",
 *   UTF-16LE with a BOM.
 */

/** Rows of cells as typed, the header row first. */
export type Sheet = readonly (readonly string[])[];

const utf8 = (text: string) => new TextEncoder().encode(text);

/** UTF-16LE with a BOM, as Excel's "Unicode Text" and Calc's "Unicode (UTF-16)" write text. */
export function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfeff, true);
  for (let k = 0; k < text.length; k++) view.setUint16(2 + k * 2, text.charCodeAt(k), true);
  return out;
}

const BOM = [0xef, 0xbb, 0xbf];

/** Excel's rule: quoted only when the cell holds the separator, a quote or a line break. */
function excelCell(cell: string, separator: string): string {
  return cell.includes(separator) || /["\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function excelText(sheet: Sheet, separator: string): string {
  return sheet.map((row) => `${row.map((cell) => excelCell(cell, separator)).join(separator)}\r\n`).join("");
}

/**
 * The sheet as Excel sees it when its used range is larger than the data (cells once formatted or
 * cleared): every row as wide as the range, and rows of empty cells below the data.
 */
export function withUsedRange(sheet: Sheet, rows: number, columns: number): string[][] {
  const padded = sheet.map((row) => [...row, ...Array<string>(Math.max(0, columns - row.length)).fill("")]);
  while (padded.length < rows) padded.push(Array<string>(columns).fill(""));
  return padded;
}

/** Excel, Save As "CSV UTF-8 (Comma delimited)", with the regional settings' list separator. */
export function excelCsvUtf8(sheet: Sheet, separator: "," | ";" = ","): Uint8Array {
  return Uint8Array.from([...BOM, ...utf8(excelText(sheet, separator))]);
}

/** Excel, Save As "CSV (Comma delimited)" on Windows with Western European settings (Windows-1252). */
export function excelCsvAnsi(sheet: Sheet, separator: "," | ";" = ","): Uint8Array {
  return windows1252(excelText(sheet, separator));
}

/** Excel, Save As "Unicode Text (*.txt)". */
export function excelUnicodeText(sheet: Sheet): Uint8Array {
  return utf16le(excelText(sheet, "\t"));
}

/** Google Sheets, File › Download › Comma-separated values (.csv). */
export function googleSheetsCsv(sheet: Sheet): Uint8Array {
  return utf8(sheet.map((row) => row.map((cell) => excelCell(cell, ",")).join(",")).join("\r\n"));
}

export interface CalcOptions {
  separator: "," | ";" | "\t";
  encoding: "utf-8" | "utf-16";
  /** The export dialog's "Quote all text cells" (on by default). */
  quoteAll?: boolean;
}

/** LibreOffice Calc on Linux, Save As "Text CSV (.csv)" with the options chosen in its export dialog. */
export function libreOfficeCsv(sheet: Sheet, options: CalcOptions): Uint8Array {
  const quoteAll = options.quoteAll ?? true;
  const cell = (text: string) =>
    text !== "" && quoteAll ? `"${text.replaceAll('"', '""')}"` : excelCell(text, options.separator);
  const text = sheet.map((row) => `${row.map(cell).join(options.separator)}\n`).join("");
  return options.encoding === "utf-8" ? utf8(text) : utf16le(text);
}

let toCp1252: Map<string, number> | undefined;

/** Text in Windows-1252, as Excel writes it: what the code page lacks becomes `?`. */
export function windows1252(text: string): Uint8Array {
  if (!toCp1252) {
    toCp1252 = new Map();
    const decoder = new TextDecoder("windows-1252");
    for (let byte = 0; byte < 256; byte++) toCp1252.set(decoder.decode(Uint8Array.of(byte)), byte);
  }
  const map = toCp1252;
  return Uint8Array.from([...text], (ch) => map.get(ch) ?? 0x3f);
}
