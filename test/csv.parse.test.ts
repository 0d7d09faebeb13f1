import { describe, expect, test } from "bun:test";
import { parseCsvStream } from "../src/csv/decode";
import { decodeCsvText } from "../src/csv/encoding";
import { CsvError, CsvParser, type CsvParserOptions, type CsvRecord, parseCsv } from "../src/csv/parse";
import { streamOf } from "./support/byte-stream";

const fields = (records: CsvRecord[]) => records.map((r) => r.fields);

/** Parses `chunks` one push at a time, as a stream would deliver them. */
function parseChunks(chunks: string[], options?: CsvParserOptions): CsvRecord[] {
  const parser = new CsvParser(options);
  const out: CsvRecord[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

function csvErrorOf(run: () => unknown): CsvError {
  try {
    run();
  } catch (error) {
    if (error instanceof CsvError) return error;
    throw error;
  }
  throw new Error("expected a CsvError");
}

describe("CsvParser: RFC 4180", () => {
  test("plain records with LF, CRLF and lone CR line ends", () => {
    expect(fields(parseCsv("a,b,c\n1,2,3\n"))).toEqual([
      ["a", "b", "c"],
      ["1", "2", "3"],
    ]);
    expect(fields(parseCsv("a,b\r\n1,2\r\n"))).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
    expect(fields(parseCsv("a,b\r1,2\r"))).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
    expect(fields(parseCsv("a\r\nb\nc\rd"))).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  test("a final line without a newline is a record; a final newline adds none", () => {
    expect(fields(parseCsv("a,b\n1,2"))).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
    expect(fields(parseCsv("x"))).toEqual([["x"]]);
    expect(parseCsv("")).toEqual([]);
  });

  test("empty fields, leading and trailing commas", () => {
    expect(fields(parseCsv(",a,,b,\n"))).toEqual([["", "a", "", "b", ""]]);
    expect(fields(parseCsv("a,"))).toEqual([["a", ""]]);
    expect(fields(parseCsv(",b\n"))).toEqual([["", "b"]]);
  });

  test("quoted fields with embedded commas, doubled quotes and line breaks", () => {
    const text = '"a,b","say ""hi""","line1\nline2","cr\r\nlf",""\n';
    expect(fields(parseCsv(text))).toEqual([["a,b", 'say "hi"', "line1\nline2", "cr\r\nlf", ""]]);
    expect(fields(parseCsv('""""'))).toEqual([['"']]);
    expect(fields(parseCsv('"",x'))).toEqual([["", "x"]]);
  });

  test("spaces are kept as data", () => {
    expect(fields(parseCsv(" a , b \n"))).toEqual([[" a ", " b "]]);
  });

  test("a quote inside an unquoted field is kept literally", () => {
    expect(fields(parseCsv('a"b,5" tall,x"\n'))).toEqual([['a"b', '5" tall', 'x"']]);
  });

  test("text after a closing quote is tolerated and appended", () => {
    expect(fields(parseCsv('"ab"c,d\n'))).toEqual([["abc", "d"]]);
    expect(fields(parseCsv('"ab" ,d'))).toEqual([["ab ", "d"]]);
    expect(fields(parseCsv('"a"b"c"\n'))).toEqual([['ab"c"']]);
  });

  test("a leading BOM is dropped, also when it arrives alone", () => {
    expect(fields(parseCsv("\uFEFFa,b\n"))).toEqual([["a", "b"]]);
    expect(fields(parseChunks(["", "\uFEFF", "a,b"]))).toEqual([["a", "b"]]);
    expect(fields(parseChunks(["a", "\uFEFF"]))).toEqual([["a\uFEFF"]]);
  });
});

describe("CsvParser: row numbers and blank lines", () => {
  test("blank lines are skipped but keep their row number", () => {
    const records = parseCsv("h1,h2\n\n1,2\r\n\r\n\r3,4\n\n");
    expect(records).toEqual([
      { fields: ["h1", "h2"], row: 1 },
      { fields: ["1", "2"], row: 3 },
      { fields: ["3", "4"], row: 6 },
    ]);
  });

  test("only blank lines gives no records", () => {
    expect(parseCsv("\n\r\n\r\n")).toEqual([]);
  });

  test("a line of one quoted empty field, or of separators only, counts as blank", () => {
    // Excel writes a row of separators for every row of its used range that holds no data.
    expect(parseCsv('h\n""\n,\n,,,,\r\n"","",\nx,\n')).toEqual([
      { fields: ["h"], row: 1 },
      { fields: ["x", ""], row: 6 },
    ]);
    expect(parseCsv("a;b\r\n;\r\n;;\r\n", { delimiter: ";" })).toEqual([{ fields: ["a", "b"], row: 1 }]);
  });

  test("a record spanning lines inside quotes is one row", () => {
    const records = parseCsv('h\n"multi\nline\nnote"\nnext\n');
    expect(records).toEqual([
      { fields: ["h"], row: 1 },
      { fields: ["multi\nline\nnote"], row: 2 },
      { fields: ["next"], row: 3 },
    ]);
  });
});

describe("CsvParser: chunk boundaries", () => {
  const tricky = [
    '\uFEFFid,"na,me","q""uote"\r\n',
    "\r\n",
    '1,"multi\r\nline","a""""b"\r',
    '2,x"y,"end"tail\n',
    '"",,\n',
    "\n",
    '3,"""",""""""\r',
    "\r",
    'last," sp ",z',
  ].join("");
  const whole = parseCsv(tricky);

  test("the tricky input parses as expected", () => {
    expect(whole).toEqual([
      { fields: ["id", "na,me", 'q"uote'], row: 1 },
      { fields: ["1", "multi\r\nline", 'a""b'], row: 3 },
      { fields: ["2", 'x"y', "endtail"], row: 4 },
      { fields: ["3", '"', '""'], row: 7 },
      { fields: ["last", " sp ", "z"], row: 9 },
    ]);
  });

  test("every single split point gives the same records", () => {
    for (let k = 0; k <= tricky.length; k++) {
      expect(parseChunks([tricky.slice(0, k), tricky.slice(k)])).toEqual(whole);
    }
  });

  test("every pair of split points gives the same records", () => {
    for (let a = 0; a <= tricky.length; a++) {
      for (let b = a; b <= tricky.length; b++) {
        const got = parseChunks([tricky.slice(0, a), tricky.slice(a, b), tricky.slice(b)]);
        if (!Bun.deepEquals(got, whole)) throw new Error(`split at ${a} and ${b} differs`);
      }
    }
  });

  test("one character at a time gives the same records", () => {
    expect(parseChunks([...tricky])).toEqual(whole);
  });

  test("a CR at the end of one chunk and its LF at the start of the next make one line end", () => {
    expect(parseChunks(["a\r", "\nb\r", "", "\nc"])).toEqual([
      { fields: ["a"], row: 1 },
      { fields: ["b"], row: 2 },
      { fields: ["c"], row: 3 },
    ]);
  });
});

describe("CsvParser: limits and errors", () => {
  test("a field over maxFieldBytes is refused with its row", () => {
    const error = csvErrorOf(() => parseCsv("a\nb\n12345\n", { maxFieldBytes: 4 }));
    expect(error.code).toBe("field_too_long");
    expect(error.row).toBe(3);
    expect(error.message).toBe("Row 3 has a field longer than 4 bytes.");
    expect(fields(parseCsv('1234,"12"""\n', { maxFieldBytes: 4 }))).toEqual([["1234", '12"']]);
  });

  test("the default field limit is 1 MiB, and is checked across chunks and in quotes", () => {
    const big = "x".repeat(1024 * 1024);
    expect(parseCsv(`${big}\n`)[0]?.fields[0]?.length).toBe(1024 * 1024);
    const error = csvErrorOf(() => parseCsv(`h\n\n"${big}y"`));
    expect(error.message).toBe("Row 3 has a field longer than 1 MiB.");
    // Refused while still gathering the field: memory stays bounded by the limit.
    const parser = new CsvParser({ maxFieldBytes: 10 });
    parser.push('"0123456');
    expect(csvErrorOf(() => parser.push("789ab")).row).toBe(1);
  });

  test("more than maxColumns fields is refused", () => {
    expect(fields(parseCsv("a,b,c", { maxColumns: 3 }))).toEqual([["a", "b", "c"]]);
    const error = csvErrorOf(() => parseCsv("a\n1,2,3,4", { maxColumns: 3 }));
    expect(error).toMatchObject({ code: "too_many_columns", row: 2 });
    expect(error.message).toBe("Row 2 has more than 3 columns.");
    const wide = `${",".repeat(1000)}\n`;
    expect(csvErrorOf(() => parseCsv(wide)).message).toBe("Row 1 has more than 1,000 columns.");
  });

  test("a quoted field never closed is reported with the row it opens on", () => {
    const error = csvErrorOf(() => parseCsv('h\n1\n\n2\n3\n4\n"open,\nstill open\n'));
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "CsvError", code: "unclosed_quote", row: 7 });
    expect(error.message).toBe("Row 7 opens a quoted field that is never closed.");
  });

  test("a closing quote as the very last character is not an unclosed quote", () => {
    expect(fields(parseChunks(['a,"b', '"']))).toEqual([["a", "b"]]);
  });

  test("push after end is a programming error", () => {
    const parser = new CsvParser();
    parser.end();
    expect(() => parser.push("a")).toThrow("after end()");
  });
});

// ---- decode.ts --------------------------------------------------------------------------------

const utf8 = (text: string) => new TextEncoder().encode(text);

function bytesOf(...parts: (number[] | Uint8Array)[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

function utf16(text: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfeff, littleEndian);
  for (let k = 0; k < text.length; k++) view.setUint16(2 + k * 2, text.charCodeAt(k), littleEndian);
  return out;
}

async function decodeAll(stream: ReadableStream<Uint8Array>, maxBytes?: number): Promise<string> {
  let text = "";
  for await (const chunk of decodeCsvText(stream, { maxBytes })) text += chunk;
  return text;
}

async function decodeError(stream: ReadableStream<Uint8Array>, maxBytes?: number): Promise<CsvError> {
  try {
    await decodeAll(stream, maxBytes);
  } catch (error) {
    if (error instanceof CsvError) return error;
    throw error;
  }
  throw new Error("expected a CsvError");
}

describe("decodeCsvText", () => {
  const sample = "name,city\r\nZoë,Malmö\r\n🎓 Ada,東京\r\n";

  test("UTF-8 with and without BOM, in chunks of any size", async () => {
    for (const size of [1, 2, 3, 5, 1000]) {
      expect(await decodeAll(streamOf(utf8(sample), size))).toBe(sample);
      expect(await decodeAll(streamOf(bytesOf([0xef, 0xbb, 0xbf], utf8(sample)), size))).toBe(sample);
    }
  });

  test("tiny files", async () => {
    expect(await decodeAll(streamOf(new Uint8Array(0)))).toBe("");
    expect(await decodeAll(streamOf(utf8("a")))).toBe("a");
    expect(await decodeAll(streamOf(utf8("a\n"), 1))).toBe("a\n");
    expect(await decodeAll(streamOf(bytesOf([0xef, 0xbb, 0xbf])))).toBe("");
  });

  test("UTF-16 LE and BE with a BOM, split at every byte", async () => {
    for (const littleEndian of [true, false]) {
      for (const size of [1, 3, 4, 1000]) {
        expect(await decodeAll(streamOf(utf16(sample, littleEndian), size))).toBe(sample);
      }
    }
  });

  test("NUL bytes mean binary", async () => {
    const zip = bytesOf([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]);
    const error = await decodeError(streamOf(zip));
    expect(error.code).toBe("binary");
    expect(error.message).toBe("The file is not a text CSV file (it contains binary data).");
    expect((await decodeError(streamOf(bytesOf(utf8("a,b\n"), [0]), 2))).code).toBe("binary");
    expect((await decodeError(streamOf(bytesOf([0xff, 0xfe], [0x61, 0, 0, 0])))).code).toBe("binary");
    // UTF-16 without a BOM is full of NULs: refused rather than read as garbage.
    expect((await decodeError(streamOf(bytesOf([0x61, 0, 0x2c, 0])))).code).toBe("binary");
  });

  test("invalid or truncated UTF-8 is not text", async () => {
    const latin1 = bytesOf(utf8("name\ncaf"), [0xe9], utf8("\n"));
    const error = await decodeError(streamOf(latin1, 3));
    expect(error.code).toBe("not_utf8");
    // Not "not a text file": it is text, in the wrong encoding; the reason says how to save it right.
    expect(error.message).toStartWith("The file is not saved as UTF-8 text");
    expect(error.message).toContain('"CSV UTF-8 (Comma delimited)"');
    expect((await decodeError(streamOf(bytesOf(utf8("ok"), [0xe2, 0x82]), 1))).code).toBe("not_utf8");
    expect((await decodeError(streamOf(bytesOf([0xff, 0xfe], utf8("a"))))).code).toBe("binary"); // odd UTF-16
  });

  test("maxBytes: up to the limit is fine, one byte more is refused", async () => {
    const bytes = utf8("a,b\n1,2\n");
    expect(await decodeAll(streamOf(bytes, 3), bytes.length)).toBe("a,b\n1,2\n");
    const error = await decodeError(streamOf(bytes, 3), bytes.length - 1);
    expect(error.code).toBe("too_large");
    expect((await decodeError(streamOf(new Uint8Array(2048)), 1024)).message).toBe(
      "The file is larger than the 1 KiB limit.",
    );
  });

  test("stopping early cancels the source stream", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(utf8("a,b\n")),
      cancel: () => {
        cancelled = true;
      },
    });
    for await (const _ of decodeCsvText(stream)) break;
    expect(cancelled).toBe(true);
  });
});

describe("parseCsvStream", () => {
  test("yields records in batches with spreadsheet row numbers", async () => {
    const lines = [
      "email,name",
      ...Array.from({ length: 23 }, (_, k) => (k === 5 ? "" : `u${k}@x.org,U ${k}`)),
    ];
    const bytes = bytesOf([0xef, 0xbb, 0xbf], utf8(`${lines.join("\r\n")}\r\n`));
    const batches: CsvRecord[][] = [];
    for await (const batch of parseCsvStream(streamOf(bytes, 7), { batchSize: 10 })) batches.push(batch);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    const records = batches.flat();
    expect(records[0]).toEqual({ fields: ["email", "name"], row: 1 });
    expect(records[1]).toEqual({ fields: ["u0@x.org", "U 0"], row: 2 });
    expect(records[6]).toEqual({ fields: ["u6@x.org", "U 6"], row: 8 });
    expect(records.at(-1)?.row).toBe(24);
  });

  test("passes parser limits and decode errors through", async () => {
    const stream = streamOf(utf8("a,b,c\n"));
    await expect(parseCsvStream(stream, { maxColumns: 2 }).next()).rejects.toThrow(
      "Row 1 has more than 2 columns.",
    );
    await expect(parseCsvStream(streamOf(utf8("abc")), { maxBytes: 2 }).next()).rejects.toBeInstanceOf(
      CsvError,
    );
  });
});

// Throughput, by hand: CSV_BENCH=1 bun test test/csv.parse (prints rows/s; no timing assertion).
test.skipIf(!process.env.CSV_BENCH)("throughput", async () => {
  const row = (k: number) =>
    `${k},user${k}@example.org,"Surname, Given",Learner,2026-01-05,"note ""${k}"""\r\n`;
  const text = Array.from({ length: 500_000 }, (_, k) => row(k)).join("");
  for (const chunkSize of [64 * 1024, 1024 * 1024]) {
    const started = performance.now();
    const parser = new CsvParser();
    let count = 0;
    for (let at = 0; at < text.length; at += chunkSize)
      count += parser.push(text.slice(at, at + chunkSize)).length;
    count += parser.end().length;
    const seconds = (performance.now() - started) / 1000;
    console.log(`parser, ${chunkSize} B chunks: ${Math.round(count / seconds).toLocaleString()} rows/s`);
  }
  const bytes = utf8(text);
  const started = performance.now();
  let count = 0;
  for await (const batch of parseCsvStream(streamOf(bytes, 64 * 1024), { maxBytes: Infinity })) {
    count += batch.length;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`decode + parse, 64 KiB chunks: ${Math.round(count / seconds).toLocaleString()} rows/s`);
});
