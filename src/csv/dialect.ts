/**
 * The dialect of an uploaded CSV: how the spreadsheet program that wrote it shaped the bytes. Excel
 * writes "CSV UTF-8" with a BOM and the Windows list separator (`;` wherever the decimal separator is a
 * comma), "Unicode Text" as UTF-16LE with a BOM and TABs; Google Sheets writes UTF-8 without a BOM,
 * commas and CRLF; LibreOffice Calc asks. Reading detects all of it (decode.ts), and `encodeCsvText`
 * writes text back in the same shape, so rows can be returned to the admin as they uploaded them.
 */

export type Delimiter = "," | ";" | "\t";
export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be";
export type LineEnding = "\r\n" | "\n" | "\r";

export interface CsvDialect {
  encoding: TextEncoding;
  /** The file starts with a byte-order mark. */
  bom: boolean;
  delimiter: Delimiter;
  /** How the first line ends (CRLF when the file is a single line without one). */
  lineEnding: LineEnding;
}

/** A CSV upload's own shape: its dialect and its header row as written, to write rows back in it. */
export interface CsvShape extends CsvDialect {
  header: string;
}

/** "a comma", "a semicolon", "a TAB", or the character quoted: separators as an admin reads them. */
export function delimiterName(delimiter: string): string {
  const names: Record<string, string> = {
    ",": "a comma",
    ";": "a semicolon",
    "\t": "a TAB",
    "|": 'a vertical bar ("|")',
    ":": 'a colon (":")',
  };
  return names[delimiter] ?? `"${delimiter}"`;
}

/** `text` as bytes of the dialect's encoding, with its BOM when the dialect has one. */
export function encodeCsvText(text: string, dialect: Pick<CsvDialect, "encoding" | "bom">): Uint8Array {
  if (dialect.encoding === "utf-8") {
    return new TextEncoder().encode(dialect.bom ? `\uFEFF${text}` : text);
  }
  const units = dialect.bom ? `\uFEFF${text}` : text;
  const out = new Uint8Array(units.length * 2);
  const view = new DataView(out.buffer);
  const littleEndian = dialect.encoding === "utf-16le";
  for (let k = 0; k < units.length; k++) view.setUint16(k * 2, units.charCodeAt(k), littleEndian);
  return out;
}
