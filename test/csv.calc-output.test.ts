/**
 * The LibreOffice builder in test/support/spreadsheet-files.ts against the real program: Calc
 * (`soffice --headless`, from Debian's libreoffice-calc-nogui) opens a sheet and saves it with the
 * export dialog's settings, and the bytes must equal the builder's. Skipped where soffice is not
 * installed; the committed fixtures stay honest wherever it is.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./support/env";
import { type CalcOptions, libreOfficeCsv, type Sheet } from "./support/spreadsheet-files";

const soffice = Bun.which("soffice");
const dir = tempDir("calc-output-");
afterAll(() => dir.cleanup());

const SHEET: Sheet = [
  ["email", "First Name", "groups", "notes"],
  ["zoë@example.com", "Zoë", "Vertrieb DACH;Onboarding", 'says "hi"\nsecond line'],
  ["ann@example.com", " lead space", "a,b", ""],
];

/** Calc's CSV filter options: separator, quote, character set (76 UTF-8, 65535 UTF-16), first line, -, language, quote all. */
function filterOptions(options: CalcOptions): string {
  const charset = options.encoding === "utf-8" ? 76 : 65535;
  return `${options.separator.charCodeAt(0)},34,${charset},1,,0,${options.quoteAll ?? true}`;
}

/** Opens SHEET in Calc (from a plain comma CSV, every cell text) and saves it as `options` say. */
async function calcSaves(options: CalcOptions, name: string): Promise<Uint8Array> {
  const source = join(dir.path, `${name}.csv`);
  writeFileSync(
    source,
    `${SHEET.map((row) => row.map((c) => `"${c.replaceAll('"', '""')}"`).join(",")).join("\r\n")}\r\n`,
  );
  const out = join(dir.path, name);
  mkdirSync(out, { recursive: true });
  const child = Bun.spawn(
    [
      soffice!,
      `-env:UserInstallation=file://${join(dir.path, "profile")}`,
      "--headless",
      "--infilter=CSV:44,34,76,1",
      "--convert-to",
      `csv:Text - txt - csv (StarCalc):${filterOptions(options)}`,
      "--outdir",
      out,
      source,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  expect(await child.exited).toBe(0);
  return new Uint8Array(readFileSync(join(out, `${name}.csv`)));
}

test.skipIf(!soffice)(
  "Calc's semicolon UTF-8 (quote all text cells) and TAB UTF-16 exports equal the builder's bytes",
  async () => {
    const semicolon: CalcOptions = { separator: ";", encoding: "utf-8" };
    expect(await calcSaves(semicolon, "semicolon")).toEqual(libreOfficeCsv(SHEET, semicolon));
    const tab: CalcOptions = { separator: "\t", encoding: "utf-16", quoteAll: false };
    expect(await calcSaves(tab, "tab")).toEqual(libreOfficeCsv(SHEET, tab));
  },
  180_000,
);
