/**
 * Bytes to CSV text, and the decode + parse pipeline callers use for uploads.
 *
 * Spreadsheets save CSV as UTF-8 (often with a BOM) or, for "Unicode text", as UTF-16 with a BOM.
 * Anything else that is not valid UTF-8 (or contains NUL bytes) is refused with an admin-readable
 * `CsvError` rather than imported as mojibake. Runtime-agnostic: Web streams and TextDecoder only.
 */
import { CsvError, CsvParser, type CsvParserOptions, type CsvRecord, formatSize } from "./parse";

export interface DecodeOptions {
  /** Refuse files larger than this many bytes. Default 50 MiB. */
  maxBytes?: number;
}

export interface ParseStreamOptions extends CsvParserOptions, DecodeOptions {
  /** Most records per yielded batch. Default 500. */
  batchSize?: number;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_BATCH_SIZE = 500;

const BINARY_MESSAGE = "The file is not a text CSV file (it contains binary data).";
const NOT_UTF8_MESSAGE =
  'The file is not a text CSV file (it is not valid UTF-8 text; in Excel, save it as "CSV UTF-8").';

type Encoding = "utf-8" | "utf-16le" | "utf-16be";

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
      decoder = newDecoder(head);
      const text = decoder.decode(head.subarray(bomLength(head)));
      if (text) yield text;
    }
    if (!decoder) {
      if (head.length === 0) return;
      decoder = newDecoder(head);
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

/**
 * Decode + parse in one: yields the records of a CSV byte stream in batches of up to
 * `batchSize`, so big files are processed a batch at a time in bounded memory.
 */
export async function* parseCsvStream(
  stream: ReadableStream<Uint8Array>,
  options: ParseStreamOptions = {},
): AsyncGenerator<CsvRecord[], void, undefined> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const parser = new CsvParser(options);
  let batch: CsvRecord[] = [];
  for await (const text of decodeCsvText(stream, options)) {
    for (const record of parser.push(text)) {
      batch.push(record);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  for (const record of parser.end()) batch.push(record);
  if (batch.length > 0) yield batch;
}

interface ChunkDecoder {
  decode(bytes: Uint8Array): string;
  flush(): string;
}

function detect(head: Uint8Array): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return "utf-8";
}

function bomLength(head: Uint8Array): number {
  const encoding = detect(head);
  if (encoding !== "utf-8") return 2;
  return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
}

function newDecoder(head: Uint8Array): ChunkDecoder {
  const encoding = detect(head);
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
