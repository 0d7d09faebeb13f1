/**
 * Records as the file had them (src/csv/raw-cells.ts): cells are found as the parser finds them, and the
 * only change made to them is a `'` before a cell a spreadsheet would run as a formula.
 */
import { describe, expect, test } from "bun:test";
import { parseCsv } from "../src/csv/parse";
import { cellSpans, cellValue, ownCells, runsAsFormula, safeRecord } from "../src/csv/raw-cells";

const RECORDS: [string, "," | ";" | "\t"][] = [
  ['a,"b,c",d', ","],
  ['"x""y",,"line\nbreak"', ","],
  ['""abc,"q"tail,', ","],
  ["", ","],
  ['one;"two;2";three', ";"],
  ['tab\t"quoted\ttab"\t', "\t"],
];

describe("cell spans", () => {
  test("give the parser's cells for every kind of quoting", () => {
    for (const [raw, delimiter] of RECORDS) {
      const parsed = parseCsv(raw, { delimiter })[0]?.fields ?? [""];
      expect(cellSpans(raw, delimiter).map((span) => cellValue(raw, span))).toEqual(parsed);
    }
  });
});

describe("safe records", () => {
  test("formula cells get a leading ' (inside their quotes); every other byte is kept", () => {
    expect(safeRecord('=1+2,"=SUM(A1,B1)",plain,"x ""q""",@cmd', ",").text).toBe(
      `'=1+2,"'=SUM(A1,B1)",plain,"x ""q""",'@cmd`,
    );
    expect(safeRecord('a;"line\r\nbreak";+44 20', ";").text).toBe(`a;"line\r\nbreak";'+44 20`);
  });

  test("plain numbers, even signed, are not formulas", () => {
    for (const value of ["-5", "+3", "-1.5", "-0,75", "1e3"]) expect(runsAsFormula(value)).toBe(false);
    for (const value of ["-A1", "+1-2", "=1", "@x", "\tx"]) expect(runsAsFormula(value)).toBe(true);
  });

  test("cut to the first cells, with their count", () => {
    expect(safeRecord("a,b,Issue,Resolution", ",", 2)).toEqual({ text: "a,b", cells: 2 });
    expect(safeRecord("a", ",", 3)).toEqual({ text: "a", cells: 1 });
  });
});

describe("own cells of a header", () => {
  test("a last Issue and Resolution pair (a file of failed rows uploaded again) is not the upload's own", () => {
    expect(ownCells("email,first_name,Issue,Resolution", ",")).toBe(2);
    expect(ownCells('email;"issue ";RESOLUTION', ";")).toBe(1);
    expect(ownCells("email,Issue", ",")).toBe(2);
    expect(ownCells("Issue,Resolution", ",")).toBe(2);
  });
});
