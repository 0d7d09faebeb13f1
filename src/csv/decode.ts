/**
 * The decode + parse pipeline callers use for uploads: bytes to text (encoding.ts), the separator from
 * the header row (sniff.ts), then records (parse.ts) in batches, so a big file is handled a batch at a
 * time in bounded memory. The reader also tells the file's dialect (encoding, BOM, separator, line end),
 * and with `keepRaw` each record's text as written: what it takes to give rows back in the shape the
 * admin uploaded them.
 */
import type { CsvDialect, Delimiter, TextEncoding } from "./dialect";
import { type DecodeOptions, decodeCsvText } from "./encoding";
import { CsvParser, type CsvParserOptions, type CsvRecord } from "./parse";
import { sniffHeader } from "./sniff";

export interface ReadCsvOptions
  extends Omit<CsvParserOptions, "delimiter">,
    Omit<DecodeOptions, "onEncoding"> {
  /** Most records per yielded batch. Default 500. */
  batchSize?: number;
  /** `"auto"` (the default): decided from the header row, see sniffHeader. */
  delimiter?: Delimiter | "auto";
  /** With `"auto"`: whether a header row's cells are the columns the caller needs (see sniffHeader). */
  preferHeader?: (cells: string[]) => boolean;
}

const DEFAULT_BATCH_SIZE = 500;

/** Reads a CSV byte stream: iterate it once for batches of records, then ask for its dialect. */
export class CsvReader implements AsyncIterable<CsvRecord[]> {
  private encoding: { encoding: TextEncoding; bom: boolean } | null = null;
  private parser: CsvParser | null = null;
  private delimiter: Delimiter | null = null;
  private lookalikeSeen: string | null = null;
  private started = false;

  constructor(
    private readonly stream: ReadableStream<Uint8Array>,
    private readonly options: ReadCsvOptions = {},
  ) {}

  /** The file's dialect, once its header row has been read; null before that and for an empty file. */
  get dialect(): CsvDialect | null {
    if (!this.encoding || !this.delimiter || !this.parser) return null;
    return { ...this.encoding, delimiter: this.delimiter, lineEnding: this.parser.lineEnding ?? "\r\n" };
  }

  /** A character the header row looks separated by that is not read as a separator (see sniffHeader). */
  get lookalike(): string | null {
    return this.lookalikeSeen;
  }

  [Symbol.asyncIterator](): AsyncGenerator<CsvRecord[], void, undefined> {
    return this.batches();
  }

  /** Yields the records in batches of up to `batchSize`, with spreadsheet row numbers. */
  async *batches(): AsyncGenerator<CsvRecord[], void, undefined> {
    if (this.started) throw new Error("a CsvReader is read once");
    this.started = true;
    const batchSize = Math.max(1, this.options.batchSize ?? DEFAULT_BATCH_SIZE);
    let batch: CsvRecord[] = [];
    /** Text held back until the header row is whole and the separator can be decided. */
    let held = "";
    const onEncoding = (encoding: TextEncoding, bom: boolean) => {
      this.encoding = { encoding, bom };
    };
    for await (const text of decodeCsvText(this.stream, { maxBytes: this.options.maxBytes, onEncoding })) {
      let parser = this.parser;
      if (!parser) {
        held += text;
        parser = this.start(held, false);
        if (!parser) continue;
      }
      const records = parser.push(held || text);
      held = "";
      for (const record of records) {
        batch.push(record);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    const parser = this.parser ?? this.start(held, true)!;
    if (held) batch.push(...parser.push(held));
    batch.push(...parser.end());
    if (batch.length > 0) yield batch;
  }

  /** Makes the parser once the separator is known; null while the header row is still incomplete. */
  private start(text: string, final: boolean): CsvParser | null {
    let delimiter = this.options.delimiter ?? "auto";
    if (delimiter === "auto") {
      const sniff = sniffHeader(text, final, this.options.preferHeader);
      if (!sniff) return null;
      delimiter = sniff.delimiter;
      this.lookalikeSeen = sniff.lookalike;
    }
    this.delimiter = delimiter;
    this.parser = new CsvParser({ ...this.options, delimiter });
    return this.parser;
  }
}

export function readCsv(stream: ReadableStream<Uint8Array>, options?: ReadCsvOptions): CsvReader {
  return new CsvReader(stream, options);
}

/** Decode + parse in one, when the dialect is not needed: the batches of `readCsv`. */
export function parseCsvStream(
  stream: ReadableStream<Uint8Array>,
  options?: ReadCsvOptions,
): AsyncGenerator<CsvRecord[], void, undefined> {
  return readCsv(stream, options).batches();
}
