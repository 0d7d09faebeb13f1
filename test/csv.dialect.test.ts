/**
 * Reading CSV in every spreadsheet's dialect: the separator from the header row (sniff.ts), the parser
 * with other separators, each record's raw text and the first line end, and the reader's dialect, down
 * to rebuilding a file byte for byte from what the reader gives (what failed rows to fix will need).
 */
import { describe, expect, test } from "bun:test";
import { readCsv } from "../src/csv/decode";
import { type CsvDialect, encodeCsvText } from "../src/csv/dialect";
import { CsvParser, type CsvRecord, parseCsv } from "../src/csv/parse";
import { SNIFF_LIMIT, sniffHeader } from "../src/csv/sniff";
import { csvLine } from "../src/csv/write";
import { streamOf } from "./support/byte-stream";
import {
  excelCsvUtf8,
  excelUnicodeText,
  googleSheetsCsv,
  libreOfficeCsv,
  type Sheet,
  withUsedRange,
} from "./support/spreadsheet-files";

const hasEmail = (cells: string[]) => cells.some((c) => c.trim().toLowerCase() === "email");

async function readAll(bytes: Uint8Array, chunkSize?: number, keepRaw = false) {
  const reader = readCsv(streamOf(bytes, chunkSize), { keepRaw, preferHeader: hasEmail });
  const records: CsvRecord[] = [];
  for await (const batch of reader) records.push(...batch);
  return { records, dialect: reader.dialect, lookalike: reader.lookalike };
}

describe("sniffHeader: the separator comes from the header row", () => {
  test("comma, semicolon and TAB headers", () => {
    expect(sniffHeader("email,first_name\n", false)?.delimiter).toBe(",");
    expect(sniffHeader("email;first_name\r\n", false)?.delimiter).toBe(";");
    expect(sniffHeader("email\tfirst_name\r\n", false)?.delimiter).toBe("\t");
  });

  test("separators inside quoted cells do not count", () => {
    // A semicolon file whose header has a comma inside a quoted cell, and a comma file the other way.
    expect(sniffHeader('"Name, given";"Name, family";email\n', false)?.delimiter).toBe(";");
    expect(sniffHeader('"a;b;c",email\n', false)?.delimiter).toBe(",");
    // LibreOffice quotes every text cell, the header's too.
    expect(sniffHeader('"email";"first_name";"groups"\n', false)?.delimiter).toBe(";");
    // A quoted header cell may hold a line break.
    expect(sniffHeader('"e\nmail";x;y\n', false)?.delimiter).toBe(";");
  });

  test("never from a data row: a one-column header is a comma file, whatever follows", () => {
    expect(sniffHeader("email\na@example.com;Ann;Smith\n", true)?.delimiter).toBe(",");
    expect(sniffHeader("email,name\nx;y;z;w;v\n", true)?.delimiter).toBe(",");
  });

  test("a header with the needed columns wins over one that only has more separators", () => {
    // 2 commas against 1 semicolon, but only the semicolon gives an `email` cell.
    expect(sniffHeader("email;name, given, family\n", false)?.delimiter).toBe(",");
    expect(sniffHeader("email;name, given, family\n", false, hasEmail)?.delimiter).toBe(";");
    // Ties go to the character less likely to be part of a name: TAB, then semicolon, then comma.
    expect(sniffHeader("Name, given;Email\n", false)?.delimiter).toBe(";");
    expect(sniffHeader("Last; First\tEmail\n", false)?.delimiter).toBe("\t");
    expect(sniffHeader("a,b,c;d\n", false)?.delimiter).toBe(",");
  });

  test("blank rows and rows of separators above the header are skipped", () => {
    expect(sniffHeader("\r\n;;;\r\n\r\nemail;name\r\n", false)?.delimiter).toBe(";");
    expect(sniffHeader('\n"","",""\nemail\tname\n', false)?.delimiter).toBe("\t");
  });

  test("waits for the whole header row, unless the text ends or passes the limit", () => {
    expect(sniffHeader("email;first", false)).toBeNull();
    expect(sniffHeader('"quoted\nheader;', false)).toBeNull();
    expect(sniffHeader("email;first", true)?.delimiter).toBe(";");
    expect(sniffHeader("", true)?.delimiter).toBe(",");
    const long = `email;${"x".repeat(SNIFF_LIMIT)}`;
    expect(sniffHeader(long, false)?.delimiter).toBe(";");
  });

  test("a header that looks separated by something else says so", () => {
    expect(sniffHeader("email|first_name|last_name\n", false, hasEmail)).toEqual({
      delimiter: ",",
      lookalike: "|",
    });
    expect(sniffHeader("mail|name\n", false, hasEmail)?.lookalike).toBe("|");
    expect(sniffHeader("email,first_name\n", false, hasEmail)?.lookalike).toBeNull();
    // Found columns but not the needed ones: the separator is not what is wrong.
    expect(sniffHeader("name,a|b\n", false, hasEmail)?.lookalike).toBeNull();
  });
});

describe("CsvParser in other dialects", () => {
  test("semicolons and TABs separate; commas are then data", () => {
    expect(parseCsv('a;"b;c";d,e\r\n', { delimiter: ";" })[0]?.fields).toEqual(["a", "b;c", "d,e"]);
    expect(parseCsv('a\t"b\tc"\t"x\ny"\t\n', { delimiter: "\t" })[0]?.fields).toEqual([
      "a",
      "b\tc",
      "x\ny",
      "",
    ]);
  });

  const text = '\uFEFFh1;"h;2"\r\nr1;"two\nlines"\r\n\r\n;;\r\n"x""y";z\rlast;"q"';
  const expected = [
    { fields: ["h1", "h;2"], row: 1, raw: 'h1;"h;2"' },
    { fields: ["r1", "two\nlines"], row: 2, raw: 'r1;"two\nlines"' },
    { fields: ['x"y', "z"], row: 5, raw: '"x""y";z' },
    { fields: ["last", "q"], row: 6, raw: 'last;"q"' },
  ];

  test("keepRaw gives each record's text as written, without its line end", () => {
    expect(parseCsv(text, { delimiter: ";", keepRaw: true })).toEqual(expected);
    expect(parseCsv(text, { delimiter: ";" })[0]).toEqual({ fields: ["h1", "h;2"], row: 1 });
  });

  test("raw text is the same wherever the chunks split", () => {
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b += 3) {
        const parser = new CsvParser({ delimiter: ";", keepRaw: true });
        const got = [
          ...parser.push(text.slice(0, a)),
          ...parser.push(text.slice(a, b)),
          ...parser.push(text.slice(b)),
          ...parser.end(),
        ];
        if (!Bun.deepEquals(got, expected)) throw new Error(`split at ${a} and ${b} differs`);
      }
    }
  });

  test("the first line end outside quotes is the file's", () => {
    const endingOf = (chunks: string[]) => {
      const parser = new CsvParser();
      for (const chunk of chunks) parser.push(chunk);
      parser.end();
      return parser.lineEnding;
    };
    expect(endingOf(["a,b\r\nc\n"])).toBe("\r\n");
    expect(endingOf(["a,b\nc\r\n"])).toBe("\n");
    expect(endingOf(["a,b\rc\r\n"])).toBe("\r");
    expect(endingOf(['"x\r\ny"\n'])).toBe("\n");
    expect(endingOf(["a,b\r", "\nc"])).toBe("\r\n");
    expect(endingOf(["a,b\r", "c"])).toBe("\r");
    expect(endingOf(["a,b\r"])).toBe("\r");
    expect(endingOf(["a,b"])).toBeNull();
  });
});

const PEOPLE: Sheet = [
  ["Email", "First Name", "Last Name", "Groups"],
  ["zoe@example.com", "Zoë", "Ünal", "Vertrieb DACH;Onboarding"],
  ["ann@example.com", 'Ann "Nan"', "O'Brien, Jr.", ""],
  ["kai@example.com", "Kai", "Two\nLines", "Onboarding"],
];

describe("readCsv: each program's file, with its dialect", () => {
  const cases: [string, Uint8Array, CsvDialect][] = [
    [
      "Excel CSV UTF-8, German regional settings",
      excelCsvUtf8(PEOPLE, ";"),
      { encoding: "utf-8", bom: true, delimiter: ";", lineEnding: "\r\n" },
    ],
    [
      "Excel CSV UTF-8, US settings",
      excelCsvUtf8(PEOPLE),
      { encoding: "utf-8", bom: true, delimiter: ",", lineEnding: "\r\n" },
    ],
    [
      "Excel Unicode Text",
      excelUnicodeText(PEOPLE),
      { encoding: "utf-16le", bom: true, delimiter: "\t", lineEnding: "\r\n" },
    ],
    [
      "Google Sheets CSV",
      googleSheetsCsv(PEOPLE),
      { encoding: "utf-8", bom: false, delimiter: ",", lineEnding: "\r\n" },
    ],
    [
      "LibreOffice Calc, semicolon, quote all text cells",
      libreOfficeCsv(PEOPLE, { separator: ";", encoding: "utf-8" }),
      { encoding: "utf-8", bom: false, delimiter: ";", lineEnding: "\n" },
    ],
    [
      "LibreOffice Calc, TAB, UTF-16",
      libreOfficeCsv(PEOPLE, { separator: "\t", encoding: "utf-16", quoteAll: false }),
      { encoding: "utf-16le", bom: true, delimiter: "\t", lineEnding: "\n" },
    ],
  ];

  for (const [name, bytes, dialect] of cases) {
    test(`${name}: the same cells and row numbers, in chunks of any size`, async () => {
      for (const size of [1, 7, 64, bytes.length]) {
        const { records, dialect: seen } = await readAll(bytes, size);
        expect(records.map((r) => r.fields)).toEqual(PEOPLE.map((row) => [...row]));
        expect(records.map((r) => r.row)).toEqual([1, 2, 3, 4]);
        expect(seen).toEqual(dialect);
      }
    });

    test(`${name}: the file rebuilt from the header's and rows' raw text is byte for byte the upload`, async () => {
      const { records, dialect: seen } = await readAll(bytes, 5, true);
      const d = seen!;
      const lines = records.map((r) => r.raw!);
      // Google Sheets ends without a line break; the others after every row.
      const ending = name.startsWith("Google") ? "" : d.lineEnding;
      expect(encodeCsvText(lines.join(d.lineEnding) + ending, d)).toEqual(bytes);
    });
  }

  test("Excel's used range: rows of separators are skipped and not numbered differently", async () => {
    const bytes = excelCsvUtf8(withUsedRange(PEOPLE, 9, 6), ";");
    const { records } = await readAll(bytes, 3);
    expect(records.map((r) => r.row)).toEqual([1, 2, 3, 4]);
    expect(records[1]?.fields).toEqual([
      "zoe@example.com",
      "Zoë",
      "Ünal",
      "Vertrieb DACH;Onboarding",
      "",
      "",
    ]);
  });

  test("an empty file has no dialect; a one-line file without a line end gets CRLF", async () => {
    expect((await readAll(new Uint8Array(0))).dialect).toBeNull();
    expect((await readAll(new TextEncoder().encode("email;name"))).dialect).toEqual({
      encoding: "utf-8",
      bom: false,
      delimiter: ";",
      lineEnding: "\r\n",
    });
  });

  test("an explicit delimiter is used as given", async () => {
    const reader = readCsv(streamOf(new TextEncoder().encode("a;b,c\n")), { delimiter: ";" });
    const records: CsvRecord[] = [];
    for await (const batch of reader) records.push(...batch);
    expect(records[0]?.fields).toEqual(["a", "b,c"]);
    expect(reader.dialect?.delimiter).toBe(";");
  });
});

describe("rows given back in the upload's own shape (what failed rows to fix need)", () => {
  const ISSUE = 'The role "Chef; Boss" is not one of learner, instructor, manager or admin.';
  const RESOLUTION = "Change the role,\tthen upload this row again.";

  for (const [name, bytes] of [
    ["Excel CSV UTF-8, German settings", excelCsvUtf8(withUsedRange(PEOPLE, 7, 4), ";")],
    ["Excel Unicode Text", excelUnicodeText(PEOPLE)],
    ["LibreOffice Calc, quote all text cells", libreOfficeCsv(PEOPLE, { separator: ";", encoding: "utf-8" })],
  ] as const) {
    test(`${name}: chosen rows with two more columns read back as the same cells in the same dialect`, async () => {
      const { records, dialect } = await readAll(bytes, 11, true);
      const d = dialect!;
      const [header, ...rows] = records;
      const chosen = [rows[0]!, rows[2]!];
      const text =
        header!.raw +
        d.delimiter +
        csvLine(["Issue", "Resolution"], d.delimiter, d.lineEnding) +
        chosen
          .map((r) => r.raw + d.delimiter + csvLine([ISSUE, RESOLUTION], d.delimiter, d.lineEnding))
          .join("");
      const again = await readAll(encodeCsvText(text, d), 3);
      expect(again.dialect).toEqual(d);
      expect(again.records.map((r) => r.fields)).toEqual([
        [...header!.fields, "Issue", "Resolution"],
        ...chosen.map((r) => [...r.fields, ISSUE, RESOLUTION]),
      ]);
    });
  }
});

describe("encodeCsvText", () => {
  test("writes each encoding with and without its BOM", () => {
    expect([...encodeCsvText("a;é", { encoding: "utf-8", bom: true })]).toEqual([
      0xef, 0xbb, 0xbf, 0x61, 0x3b, 0xc3, 0xa9,
    ]);
    expect([...encodeCsvText("a", { encoding: "utf-8", bom: false })]).toEqual([0x61]);
    expect([...encodeCsvText("a\t😀", { encoding: "utf-16le", bom: true })]).toEqual([
      0xff, 0xfe, 0x61, 0, 0x09, 0, 0x3d, 0xd8, 0x00, 0xde,
    ]);
    expect([...encodeCsvText("a", { encoding: "utf-16be", bom: true })]).toEqual([0xfe, 0xff, 0, 0x61]);
  });
});
