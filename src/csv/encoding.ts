/**
 * Bytes to CSV text. Spreadsheets save CSV as UTF-8 (Excel's "CSV UTF-8" with a BOM, Google Sheets and
 * LibreOffice without) or, for Excel's "Unicode Text", as UTF-16LE with a BOM. Anything else that is not
 * valid UTF-8 — in practice Excel's plain "CSV (Comma delimited)", written in the Windows code page
 * (Windows-1252 in Western Europe) — or that contains NUL bytes is refused with an admin-readable
 * `CsvError` that says what to do, rather than imported as mojibake. Runtime-agnostic: Web streams and
 * TextDecoder only.
 */
import type { TextEncoding } from "./dialect";
import { CsvError, formatSize } from "./parse";

export interface DecodeOptions {
  /** Refuse files larger than this many bytes. Default 50 MiB. */
  maxBytes?: number;
  /** Told the encoding, and whether a BOM announced it, once the first bytes are in. */
  onEncoding?: (encoding: TextEncoding, bom: boolean) => void;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

const BINARY_MESSAGE = "The file is not a text CSV file (it contains binary data).";
/** What Excel's "CSV (Comma delimited)" gives: the Windows code page, where every accent breaks UTF-8. */
export const NOT_UTF8_MESSAGE =
  'The file is not saved as UTF-8 text: it is in another character encoding (such as Windows-1252, which Excel uses for "CSV (Comma delimited)"), so accented and non-Latin letters would be garbled. In Excel, use Save As and choose "CSV UTF-8 (Comma delimited)"; in LibreOffice Calc, choose the character set "Unicode (UTF-8)"; then upload the new file.';

/**
 * Yields the text of a CSV byte stream, BOM removed. UTF-8 by default; UTF-16 LE/BE when the file
 * starts with the matching BOM. Throws `CsvError` for binary data, invalid UTF-8 or too many bytes.
 * Stopping the iteration early cancels the stream.
 */
export async function* decodeCsvText(
  stream: ReadableStream<Uint8Array>,
  options: DecodeOptions = {},
): AsyncGenerator<string, void, undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const reader = stream.getReader();
  let done = false;
  try {
    let total = 0;
    let decoder: ChunkDecoder | undefined;
    let head: Uint8Array = new Uint8Array(0); // bytes held back until the BOM can be recognised
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        break;
      }
      const bytes = next.value;
      total += bytes.length;
      if (total > maxBytes) {
        throw new CsvError("too_large", `The file is larger than the ${formatSize(maxBytes)} limit.`);
      }
      if (decoder) {
        const text = decoder.decode(bytes);
        if (text) yield text;
        continue;
      }
      head = concat(head, bytes);
      if (head.length < 3) continue;
      decoder = newDecoder(head, options.onEncoding);
      const text = decoder.decode(head.subarray(bomLength(head)));
      if (text) yield text;
    }
    if (!decoder) {
      if (head.length === 0) return;
      decoder = newDecoder(head, options.onEncoding);
      const text = decoder.decode(head.subarray(bomLength(head)));
      if (text) yield text;
    }
    const rest = decoder.flush();
    if (rest) yield rest;
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

interface ChunkDecoder {
  decode(bytes: Uint8Array): string;
  flush(): string;
}

function detect(head: Uint8Array): TextEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return "utf-8";
}

function bomLength(head: Uint8Array): number {
  const encoding = detect(head);
  if (encoding !== "utf-8") return 2;
  return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
}

function newDecoder(head: Uint8Array, onEncoding: DecodeOptions["onEncoding"]): ChunkDecoder {
  const encoding = detect(head);
  onEncoding?.(encoding, bomLength(head) > 0);
  return encoding === "utf-8" ? utf8Decoder() : utf16Decoder(encoding === "utf-16le");
}

/** Strict UTF-8: NUL bytes mean binary (text never has them), bad sequences mean "not UTF-8". */
function utf8Decoder(): ChunkDecoder {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const run = (bytes: Uint8Array | undefined, stream: boolean): string => {
    if (bytes && bytes.indexOf(0) !== -1) throw new CsvError("binary", BINARY_MESSAGE);
    try {
      return decoder.decode(bytes, { stream });
    } catch {
      throw new CsvError("not_utf8", NOT_UTF8_MESSAGE);
    }
  };
  return { decode: (bytes) => run(bytes, true), flush: () => run(undefined, false) };
}

/**
 * UTF-16 decoded by hand: TextDecoder support for UTF-16 (BE especially) varies between runtimes.
 * Odd bytes and a trailing high surrogate are carried to the next chunk.
 */
function utf16Decoder(littleEndian: boolean): ChunkDecoder {
  let carry = new Uint8Array(0);
  let highSurrogate = "";
  const decode = (input: Uint8Array): string => {
    const bytes = carry.length > 0 ? concat(carry, input) : input;
    const even = bytes.length & ~1;
    carry = bytes.slice(even);
    const view = new DataView(bytes.buffer, bytes.byteOffset, even);
    const units = new Uint16Array(even / 2);
    for (let k = 0; k < units.length; k++) units[k] = view.getUint16(k * 2, littleEndian);
    let text = highSurrogate;
    highSurrogate = "";
    for (let k = 0; k < units.length; k += 8192) {
      text += String.fromCharCode(...units.subarray(k, k + 8192));
    }
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      highSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text.indexOf("\0") !== -1) throw new CsvError("binary", BINARY_MESSAGE);
    return text;
  };
  const flush = (): string => {
    if (carry.length > 0) throw new CsvError("binary", BINARY_MESSAGE);
    const rest = highSurrogate;
    highSurrogate = "";
    return rest;
  };
  return { decode, flush };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
