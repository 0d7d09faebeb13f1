import { describe, expect, test } from "bun:test";
import { parseCsvStream } from "../src/csv/decode";
import { parseCsv } from "../src/csv/parse";
import { type CsvCell, csvCell, csvLine, csvStream } from "../src/csv/write";

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return bytes;
}

async function* batches<T>(...items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe("csvLine / csvCell", () => {
  test("plain cells are written as they are, lines end with CRLF", () => {
    expect(csvLine(["a", "b c", "", "ünï"])).toBe("a,b c,,ünï\r\n");
    expect(csvLine([])).toBe("\r\n");
  });

  test("quotes cells with commas, quotes, line breaks or edge spaces, doubling quotes", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('"')).toBe('""""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\r")).toBe('"cr\r"');
    expect(csvCell(" lead")).toBe('" lead"');
    expect(csvCell("trail ")).toBe('"trail "');
    expect(csvCell("trail\t")).toBe('"trail\t"');
    expect(csvCell("in side")).toBe("in side");
  });

  test("formula-like text gets a neutralising quote, then quoting as needed", () => {
    expect(csvCell("=1+2")).toBe("'=1+2");
    expect(csvCell("+33 6 12")).toBe("'+33 6 12");
    expect(csvCell("-5")).toBe("'-5");
    expect(csvCell("@SUM(A1:A2)")).toBe("'@SUM(A1:A2)");
    expect(csvCell("\t=cmd")).toBe("'\t=cmd");
    expect(csvCell("\r=cmd")).toBe('"\'\r=cmd"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell("'already")).toBe("'already");
  });

  test("numbers are written untouched", () => {
    expect(csvLine([12, -5, 0.5, -0.25, "x"])).toBe("12,-5,0.5,-0.25,x\r\n");
  });
});

describe("csvStream", () => {
  test("writes a UTF-8 BOM, the header, then each batch", async () => {
    const stream = csvStream(["row", "error"], batches([[2, "Unknown email"]], [], [[3, "Bad, date"]]));
    const bytes = await readAll(stream);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(3))).toBe(
      'row,error\r\n2,Unknown email\r\n3,"Bad, date"\r\n',
    );
  });

  test("an empty report is the BOM and the header", async () => {
    const text = new TextDecoder().decode(await readAll(csvStream(["a"], batches<CsvCell[][]>())));
    expect(text).toBe("a\r\n");
  });

  test("is pull-based: batches are produced only as the reader asks", async () => {
    let produced = 0;
    async function* rows(): AsyncGenerator<CsvCell[][]> {
      for (let k = 0; k < 1000; k++) {
        produced++;
        yield [[k, `name ${k}`]];
      }
    }
    const reader = csvStream(["row", "name"], rows()).getReader();
    await reader.read(); // header
    await reader.read(); // first batch
    await Bun.sleep(5);
    expect(produced).toBeLessThanOrEqual(2);
    await reader.cancel();
  });

  test("cancelling the stream ends the row iterator", async () => {
    let finished = false;
    async function* rows(): AsyncGenerator<CsvCell[][]> {
      try {
        for (;;) yield [[1, "x"]];
      } finally {
        finished = true;
      }
    }
    const reader = csvStream(["a", "b"], rows()).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(finished).toBe(true);
  });

  test("an error in the rows errors the stream", async () => {
    async function* rows(): AsyncGenerator<CsvCell[][]> {
      yield [[1, "x"]];
      throw new Error("db went away");
    }
    await expect(readAll(csvStream(["a", "b"], rows()))).rejects.toThrow("db went away");
  });
});

describe("round trip: write then parse", () => {
  const nasty = [
    "",
    " ",
    "a",
    ",",
    '"',
    '""',
    "\n",
    "\r",
    "\r\n",
    "a,b",
    ' "q" ',
    "=1+2",
    "-x",
    "@me",
    "+",
    "\tt",
  ];
  const neutralised = (cell: CsvCell) =>
    typeof cell === "number" ? String(cell) : /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;

  /** Deterministic pseudo-random generator, so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
  }

  test("every nasty cell survives csvLine + parseCsv (apart from the neutralising quote)", () => {
    for (const a of nasty) {
      for (const b of nasty) {
        const row: CsvCell[] = [a, b, -7];
        expect(parseCsv(csvLine(row))[0]?.fields).toEqual(row.map(neutralised));
      }
    }
  });

  test("random reports survive csvStream + parseCsvStream with row numbers intact", async () => {
    const next = random(42);
    const pick = () => nasty[Math.floor(next() * nasty.length)] ?? "";
    const cell = () => (next() < 0.3 ? pick() + pick() + pick() : `${pick()}x${pick()}`);
    const rows: CsvCell[][] = Array.from({ length: 400 }, (_, k) => [k + 2, cell(), cell(), cell()]);
    const header = ["row", "=a", "b,c", 'd"'];
    const source = async function* () {
      for (let k = 0; k < rows.length; k += 37) yield rows.slice(k, k + 37);
    };
    const bytes = await readAll(csvStream(header, source()));
    // Re-chunk the bytes at an odd size so splits land inside quotes, CRLFs and multi-byte chars.
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + 13));
        at += 13;
      },
    });
    const records = [];
    for await (const batch of parseCsvStream(stream, { batchSize: 50 })) records.push(...batch);
    expect(records.map((r) => r.fields)).toEqual([header, ...rows].map((r) => r.map(neutralised)));
    expect(records.map((r) => r.row)).toEqual(records.map((_, k) => k + 1));
  });
});
