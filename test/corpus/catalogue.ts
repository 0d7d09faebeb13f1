/**
 * The hostile-input corpus, case by case, with the answer each one must get. Small inputs are committed
 * files next to this one (written by build.ts); big ones are made here at test time. The reliability suite
 * (test/reliability/hostile.test.ts) plays every case against a real server.
 */
import { generateKeyPairSync, sign as rsaSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signToken } from "../../src/http/auth";
import { ADA, type Person, TEST_SECRET } from "../support/env";
import { usersCsv } from "../support/users-csv";
import {
  deflatedZeros,
  lyingManifestBomb,
  SCORM12_MANIFEST,
  writeRawZip,
  zipFiles,
} from "../support/zip-fixtures";

export const CORPUS_DIR = import.meta.dir;

/** Limits the corpus server runs with (catalogue expectations depend on them). */
export const CORPUS_LIMITS = {
  MAX_ROWS_PER_FILE: "1000",
  MAX_FILE_BYTES: String(50 * 1024 * 1024),
  MAX_UPLOAD_BYTES: String(64 * 1024 * 1024),
};

const file = (...path: string[]) => new Uint8Array(readFileSync(join(CORPUS_DIR, ...path)));
const enc = (text: string) => new TextEncoder().encode(text);

// ---------- uploads ----------

export type UploadType = "user_upload" | "history_migration" | "content_upload";

export type UploadExpect =
  | { status: "failed"; reason: RegExp }
  | {
      status: "completed" | "completed_with_errors";
      total: number;
      errors: number;
      warnings: number;
      /** Every report line's Issue must match (packages: what is wrong with it). */
      issue?: RegExp;
      /** Every report Identifier that a spreadsheet would run as a formula is neutralised (starts with '). */
      formulas?: boolean;
    };

export interface UploadCase {
  name: string;
  type: UploadType;
  fileName: string;
  /** One or more files (content uploads may carry many). */
  bytes: () => Uint8Array[];
  expect: UploadExpect;
}

const failed = (reason: RegExp): UploadExpect => ({ status: "failed", reason });
const done = (
  total: number,
  errors = 0,
  warnings = 0,
  extra: { issue?: RegExp; formulas?: boolean } = {},
): UploadExpect => ({
  status: errors > 0 ? "completed_with_errors" : "completed",
  total,
  errors,
  warnings,
  ...extra,
});
const packageError = (issue: RegExp) => done(1, 1, 0, { issue });

const csvCases: [string, UploadExpect][] = [
  ["unbalanced-quote.csv", failed(/Row 2 opens a quoted field that is never closed/)],
  ["unbalanced-quote-late.csv", failed(/Row 5 opens a quoted field that is never closed/)],
  ["stray-quote-in-field.csv", done(1)],
  ["nul-bytes.csv", failed(/binary data/)],
  ["nul-after-valid-rows.csv", failed(/binary data/)],
  ["utf16le-bom.csv", done(2)],
  ["utf16be-bom.csv", done(2)],
  ["utf16le-no-bom.csv", failed(/binary data/)],
  ["utf16be-no-bom.csv", failed(/binary data/)],
  ["latin1.csv", failed(/not saved as UTF-8 text.*"CSV UTF-8 \(Comma delimited\)"/)],
  ["windows-1252-smart-quotes.csv", failed(/not saved as UTF-8 text/)],
  ["formula-cells.csv", done(5, 4, 0, { formulas: true })],
  ["header-only.csv", failed(/header row but no data rows/)],
  ["blank-lines-only.csv", failed(/empty/)],
  ["empty.csv", failed(/empty/)],
  ["cr-only-line-endings.csv", done(2)],
  ["crlf-line-endings.csv", done(2)],
  ["utf8-bom.csv", done(1)],
  ["no-email-column.csv", failed(/no 'email' column/)],
  ["tab-separated.csv", done(1, 0, 1)],
  ["semicolon-separated.csv", done(1, 0, 1)],
  ["pipe-separated.csv", failed(/no 'email' column.*separated by a vertical bar/)],
  ["png-renamed.csv", failed(/binary data/)],
  ["html-page.csv", failed(/no 'email' column/)],
  ["only-commas.csv", failed(/empty/)],
  ["used-range-separator-rows.csv", done(2, 0, 2)],
  ["quoted-newlines.csv", done(3, 0, 1)],
  ["unicode-names.csv", done(3)],
  ["sql-and-script.csv", done(2)],
  ["whitespace-emails.csv", done(3, 2, 1)],
  ["duplicate-emails.csv", done(20, 19, 1)],
  ["bad-roles.csv", done(4, 2)],
  ["many-groups-one-cell.csv", done(1)],
  ["duplicate-header.csv", done(1, 0, 1)],
  ["header-case-and-spaces.csv", done(1)],
  ["ansi-escapes.csv", done(2, 1, 1)],
];

const historyCases: [string, UploadExpect][] = [
  ["unbalanced-quote.csv", failed(/never closed/)],
  ["missing-column.csv", failed(/no 'course_code' column/)],
  ["bad-values.csv", done(12, 11, 0, { formulas: true })],
  ["repeated-records.csv", done(3, 0, 2)],
];

const packageCases: [string, UploadExpect][] = [
  ["valid-scorm12.zip", done(1)],
  ["valid-xapi.zip", done(1)],
  ["zip-slip-dotdot.zip", packageError(/unsafe location/)],
  ["zip-slip-nested-dotdot.zip", packageError(/unsafe location/)],
  ["zip-slip-absolute.zip", packageError(/unsafe location/)],
  ["zip-slip-drive-letter.zip", packageError(/unsafe location/)],
  ["zip-slip-backslash.zip", packageError(/unsafe location/)],
  ["nul-in-entry-name.zip", packageError(/unsafe location/)],
  ["truncated.zip", packageError(/incomplete/)],
  ["truncated-half.zip", packageError(/incomplete/)],
  ["encrypted.zip", packageError(/password-protected/)],
  ["encrypted-strong.zip", packageError(/password-protected/)],
  ["symlink.zip", packageError(/symbolic link/)],
  ["billion-laughs.zip", packageError(/XML entities/)],
  ["xxe-external-file.zip", packageError(/XML entities/)],
  ["xxe-parameter-entity.zip", packageError(/XML entities/)],
  ["tincan-entities.zip", packageError(/XML entities/)],
  ["not-a-zip.zip", packageError(/not a zip archive/)],
  ["empty.zip", packageError(/empty/)],
  ["manifest-in-subfolder.zip", packageError(/inside a folder/)],
  ["no-manifest.zip", packageError(/no imsmanifest\.xml/)],
  ["scorm11-csf.zip", packageError(/SCORM 1\.1 is not supported/)],
  ["manifest-cut-off.zip", packageError(/ends on line 16 before its elements are closed/)],
  ["launch-absolute-url.zip", packageError(/an address on another website/)],
  ["duplicate-entries.zip", packageError(/more than once/)],
  ["invalid-xml-manifest.zip", packageError(/not valid XML/)],
  ["missing-launch-file.zip", packageError(/not in the package/)],
  ["stored-size-mismatch.zip", packageError(/false sizes/)],
  ["crc-mismatch.zip", packageError(/damaged/)],
  ["zip-bomb-50mb.zip", packageError(/zip bomb/)],
  ["declared-3gib.zip", packageError(/unpacks to more than/)],
];

/** A CSV with one `bytes`-long field. */
function bigField(bytes: number): Uint8Array {
  return enc(`email,first_name\nbig@example.com,"${"A".repeat(bytes)}"\n`);
}

/** A header of `n` columns (email first), and one row. */
function manyColumns(n: number): Uint8Array {
  const header = ["email", ...Array.from({ length: n - 1 }, (_, i) => `c${i}`)].join(",");
  return enc(`${header}\nwide@example.com${",x".repeat(n - 1)}\n`);
}

/** ~60 MB in 900 rows (names of 66,000 characters): over MAX_FILE_BYTES, under the row and field limits. */
function sixtyMegabytes(): Uint8Array {
  const name = "N".repeat(66_000);
  const rows = ["email,first_name,last_name"];
  for (let i = 0; i < 900; i++) rows.push(`sixty${i}@example.com,${name},L`);
  return enc(`${rows.join("\n")}\n`);
}

/** 10,001 tiny entries: over the 10,000-entry limit (stored, so ~1 MB). */
function tooManyEntries(): Uint8Array {
  const entries = [{ name: "imsmanifest.xml", data: enc(SCORM12_MANIFEST) }];
  for (let i = 0; i < 10_000; i++) entries.push({ name: `f/${i}.txt`, data: new Uint8Array(0) });
  return writeRawZip(entries);
}

/** A manifest whose DOCTYPE names an external DTD on `probeUrl`: the server must never fetch it. */
function externalDtd(probeUrl: string): Uint8Array {
  return zipFiles({
    "imsmanifest.xml": SCORM12_MANIFEST.replace(
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE manifest SYSTEM "${probeUrl}/corpus.dtd">`,
    ).replace('identifier="SAFETY-101"', 'identifier="CORPUS-DTD"'),
    "index_lms.html": "<html>x</html>",
    "other.html": "<html>x</html>",
  });
}

export interface CorpusContext {
  /** A local HTTP server that counts requests: anything fetching it is a failure. */
  probeUrl: string;
}

export function uploadCases(ctx: CorpusContext): UploadCase[] {
  const cases: UploadCase[] = [
    ...csvCases.map(([name, expect]) => ({
      name: `csv/${name}`,
      type: "user_upload" as const,
      fileName: name,
      bytes: () => [file("csv", name)],
      expect,
    })),
    ...historyCases.map(([name, expect]) => ({
      name: `history/${name}`,
      type: "history_migration" as const,
      fileName: name,
      bytes: () => [file("history", name)],
      expect,
    })),
    ...packageCases.map(([name, expect]) => ({
      name: `packages/${name}`,
      type: "content_upload" as const,
      fileName: name,
      bytes: () => [file("packages", name)],
      expect,
    })),
  ];
  const rowsAtLimit = usersCsv(1000, "limit");
  cases.push(
    {
      name: "generated: a 10 MB field",
      type: "user_upload",
      fileName: "field-10mb.csv",
      bytes: () => [bigField(10 * 1024 * 1024)],
      expect: failed(/field longer than 1 MiB/),
    },
    {
      name: "generated: 100,000 columns",
      type: "user_upload",
      fileName: "columns-100k.csv",
      bytes: () => [manyColumns(100_000)],
      expect: failed(/more than 1,000 columns/),
    },
    {
      name: "generated: a 60 MB file (over MAX_FILE_BYTES)",
      type: "user_upload",
      fileName: "file-60mb.csv",
      bytes: () => [sixtyMegabytes()],
      expect: failed(/larger than the 50 MiB limit/),
    },
    {
      name: "generated: MAX_ROWS_PER_FILE + 1 rows",
      type: "user_upload",
      fileName: "rows-over-limit.csv",
      bytes: () => [enc(usersCsv(1001, "over").csv)],
      expect: failed(/more than 1,000 data rows/),
    },
    {
      name: "generated: exactly MAX_ROWS_PER_FILE rows",
      type: "user_upload",
      fileName: "rows-at-limit.csv",
      bytes: () => [enc(rowsAtLimit.csv)],
      expect: done(1000, rowsAtLimit.errors, rowsAtLimit.warnings),
    },
    {
      name: "generated: a manifest inflating to 2 GiB behind a 600-byte header",
      type: "content_upload",
      fileName: "lying-manifest-bomb.zip",
      bytes: () => [lyingManifestBomb(2048)],
      expect: packageError(/false sizes/),
    },
    {
      name: "generated: a 1 GiB zip bomb (one entry, honest sizes)",
      type: "content_upload",
      fileName: "zip-bomb-1gib.zip",
      bytes: () => [
        writeRawZip([
          { name: "imsmanifest.xml", data: enc(SCORM12_MANIFEST) },
          { name: "index_lms.html", data: enc("<html>x</html>") },
          { name: "video.mp4", data: deflatedZeros(1023), method: 8, uncompressedSize: 1023 * 1024 * 1024 },
        ]),
      ],
      expect: packageError(/zip bomb/),
    },
    {
      name: "generated: 10,001 entries",
      type: "content_upload",
      fileName: "too-many-entries.zip",
      bytes: () => [tooManyEntries()],
      expect: packageError(/more than 10,000 files/),
    },
    {
      name: "generated: a manifest naming an external DTD (never fetched)",
      type: "content_upload",
      fileName: "external-dtd.zip",
      bytes: () => [externalDtd(ctx.probeUrl)],
      expect: done(1),
    },
    {
      name: "generated: a 51 MB package (over MAX_FILE_BYTES)",
      type: "content_upload",
      fileName: "huge-package.zip",
      bytes: () => [new Uint8Array(51 * 1024 * 1024)],
      expect: packageError(/more than the 50 MB limit for one file/),
    },
    {
      name: "generated: 200 empty packages in one upload",
      type: "content_upload",
      fileName: "empty.zip",
      bytes: () => Array.from({ length: 200 }, () => new Uint8Array(0)),
      expect: done(200, 200, 0, { issue: /empty/ }),
    },
  );
  return cases;
}

// ---------- requests ----------

export interface RequestCase {
  name: string;
  contentType: string | null;
  body: () => Uint8Array;
  /** Acceptable statuses (the first is the expected one; others are named in the case). */
  status: number[];
  /** The problem+json must mention this (detail, or an error's path or message). */
  problem?: RegExp;
}

const request = (
  name: string,
  contentType: string | null,
  status: number[],
  problem?: RegExp,
): RequestCase => ({
  name: `requests/${name}`,
  contentType,
  body: () => file("requests", name),
  status,
  ...(problem ? { problem } : {}),
});
const JSON_TYPE = "application/json";
const MULTIPART = "multipart/form-data; boundary=CORPUS";

export function requestCases(): RequestCase[] {
  return [
    request("json-truncated.body", JSON_TYPE, [400], /not valid JSON/),
    request("json-trailing-garbage.body", JSON_TYPE, [400], /not valid JSON/),
    request("json-array.body", JSON_TYPE, [422]),
    request("json-null.body", JSON_TYPE, [422]),
    request("json-string.body", JSON_TYPE, [422]),
    request("json-number-overflow.body", JSON_TYPE, [422], /score/),
    request("json-proto-pollution.body", JSON_TYPE, [422]),
    request("json-unknown-type.body", JSON_TYPE, [422], /type/),
    request("json-params-wrong-types.body", JSON_TYPE, [422], /notify/),
    request("json-bad-scheduled-for.body", JSON_TYPE, [422], /scheduledFor/),
    request("json-file-type.body", JSON_TYPE, [415], /multipart/),
    request("json-invalid-utf8.body", JSON_TYPE, [422, 400]),
    request("multipart-truncated.body", MULTIPART, [400], /multipart/),
    request("multipart-no-closing-boundary.body", MULTIPART, [400, 202]),
    request("multipart-no-type.body", MULTIPART, [422], /type/),
    request("multipart-unknown-type.body", MULTIPART, [422], /type/),
    request("multipart-two-files.body", MULTIPART, [422], /exactly one file/),
    request("multipart-no-file.body", MULTIPART, [422], /file is required/),
    request("multipart-file-for-json-type.body", MULTIPART, [422], /takes no file/),
    {
      ...request("multipart-ok.body", "multipart/form-data; boundary=NOT-THE-BOUNDARY", [400], /multipart/),
      name: "requests/multipart-ok.body with another boundary in the header",
    },
    {
      ...request("multipart-ok.body", "multipart/form-data", [400], /multipart/),
      name: "requests/multipart-ok.body without a boundary",
    },
    {
      ...request("multipart-ok.body", 'multipart/form-data; boundary="', [400], /multipart/),
      name: "requests/multipart-ok.body with a broken boundary parameter",
    },
    request("form-urlencoded.body", "application/x-www-form-urlencoded", [415]),
    request("text-plain.body", "text/plain", [415]),
    { ...request("text-plain.body", null, [415]), name: "requests/text-plain.body without a content type" },
    {
      name: "generated: JSON nested 100,000 deep",
      contentType: JSON_TYPE,
      body: () => enc(`${"[".repeat(100_000)}${"]".repeat(100_000)}`),
      status: [400, 422],
    },
    {
      name: "generated: a 20 MB JSON string",
      contentType: JSON_TYPE,
      body: () =>
        enc(`{"type":"group_enroll","params":{"group":"${"g".repeat(20 * 1024 * 1024)}","courses":["C"]}}`),
      // Over MAX_JSON_BYTES (1 MiB): refused before it is parsed.
      status: [413],
      problem: /JSON body is larger than/,
    },
  ];
}

/** Multipart uploads whose file name tries to break the report's Content-Disposition. */
export const FILENAME_CASES = [
  "multipart-filename-crlf.body",
  "multipart-filename-quotes.body",
  "multipart-filename-path.body",
  "multipart-filename-windows-path.body",
  "multipart-filename-unicode.body",
  "multipart-filename-percent-crlf.body",
  "multipart-filename-long.body",
].map((name) => ({ name: `requests/${name}`, body: () => file("requests", name), contentType: MULTIPART }));

// ---------- tokens ----------

export interface AuthCase {
  name: string;
  headers: () => Record<string, string>;
  status: number;
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

export function authCases(person: Person = ADA): AuthCase[] {
  const now = Math.floor(Date.now() / 1000);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const rs256 = (claims: object) => {
    const head = `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}`;
    return `${head}.${rsaSign("sha256", Buffer.from(head), privateKey).toString("base64url")}`;
  };
  const bearer = (token: string) => () => ({ authorization: `Bearer ${token}` });
  const signed = (claims: object, secret = TEST_SECRET) => bearer(signToken({ ...claims }, secret));
  const { portal: _portal, ...noPortal } = person;
  return [
    { name: "no credentials", headers: () => ({}), status: 401 },
    {
      name: "alg none, empty signature",
      headers: bearer(`${b64({ alg: "none", typ: "JWT" })}.${b64(person)}.`),
      status: 401,
    },
    {
      name: "alg None, no signature part",
      headers: bearer(`${b64({ alg: "None" })}.${b64(person)}`),
      status: 401,
    },
    {
      name: "alg NONE with a signature",
      headers: bearer(`${b64({ alg: "NONE" })}.${b64(person)}.${"A".repeat(43)}`),
      status: 401,
    },
    {
      name: "signed with another key",
      headers: signed(person, "an-entirely-different-secret-key"),
      status: 401,
    },
    {
      name: "RS/HS confusion: HS256 keyed with the RSA public key",
      headers: signed(person, publicPem),
      status: 401,
    },
    { name: "RS256 signed by an attacker's RSA key", headers: bearer(rs256(person)), status: 401 },
    { name: "expired", headers: signed({ ...person, exp: now - 60 }), status: 401 },
    { name: "not valid before next hour", headers: signed({ ...person, nbf: now + 3600 }), status: 401 },
    { name: "claims missing: no portal", headers: signed(noPortal), status: 401 },
    { name: "claims missing: empty sub", headers: signed({ ...person, sub: "" }), status: 401 },
    { name: "unknown role", headers: signed({ ...person, role: "superadmin" }), status: 401 },
    { name: "exp as a string", headers: signed({ ...person, exp: "never" }), status: 401 },
    { name: "learner role", headers: signed({ ...person, role: "learner" }), status: 403 },
    {
      name: "header not JSON",
      headers: bearer(`${b64("not json")}.${b64(person)}.${"A".repeat(43)}`),
      status: 401,
    },
    { name: "four parts", headers: bearer(`${signToken({ ...person }, TEST_SECRET)}.extra`), status: 401 },
    {
      name: "signature of the wrong length",
      headers: bearer(`${signToken({ ...person }, TEST_SECRET)}AAAA`),
      status: 401,
    },
    {
      name: "a 9 KB token",
      headers: bearer(signToken({ ...person, pad: "x".repeat(9_000) }, TEST_SECRET)),
      status: 401,
    },
    {
      name: "a 60 KB token",
      headers: bearer(signToken({ ...person, pad: "x".repeat(60_000) }, TEST_SECRET)),
      status: 431,
    },
    {
      name: "Authorization without Bearer",
      headers: () => ({ authorization: `Basic ${b64("ada:secret")}` }),
      status: 401,
    },
    {
      name: "forged session cookie",
      headers: () => ({ cookie: `tracker_session=${b64({ alg: "none" })}.${b64(person)}.` }),
      status: 401,
    },
  ];
}
