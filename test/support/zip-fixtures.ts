/**
 * In-memory zip fixtures for package-inspection tests: valid SCORM 1.2 / 2004 / xAPI
 * packages built with fflate, plus hostile archives written or patched byte by byte.
 */
import { Deflate, strToU8, type ZipAttributes, zipSync } from "fflate";
import { crc32 } from "../../src/content/zip";

const MIB = 1024 * 1024;

/** SCORM 1.2 manifest: default org is the second one, launch item is nested, href has a query. */
export const SCORM12_MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="SAFETY-101" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="ORG-1">
    <organization identifier="ORG-0"><title>Other organization</title>
      <item identifier="I0" identifierref="RES-0"><title>Other</title></item>
    </organization>
    <organization identifier="ORG-1"><title>Health &amp; Safety &#8211; Basics</title>
      <item identifier="I1"><title>Module 1</title>
        <item identifier="I2" identifierref="RES-1"><title>Lesson 1</title></item>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="RES-0" type="webcontent" adlcp:scormtype="sco" href="other.html"/>
    <resource identifier="RES-1" type="webcontent" adlcp:scormtype="sco" href="index_lms.html?lang=en#start">
      <file href="index_lms.html"/>
    </resource>
  </resources>
</manifest>`;

/** SCORM 2004 manifest with `imscp:` prefixes and an `xml:base` on the resource. */
export const SCORM2004_MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<imscp:manifest identifier="com.example.fire-safety" version="1"
  xmlns:imscp="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <imscp:metadata><imscp:schema>ADL SCORM</imscp:schema><imscp:schemaversion>2004 4th Edition</imscp:schemaversion></imscp:metadata>
  <imscp:organizations default="org">
    <imscp:organization identifier="org"><imscp:title>Fire Safety</imscp:title>
      <imscp:item identifier="item" identifierref="res"><imscp:title>Start</imscp:title></imscp:item>
    </imscp:organization>
  </imscp:organizations>
  <imscp:resources>
    <imscp:resource identifier="res" type="webcontent" adlcp:scormType="sco" xml:base="content/" href="story.html"/>
  </imscp:resources>
</imscp:manifest>`;

/** tincan.xml with a non-course activity first; the course activity must win. */
export const TINCAN_XML = `<?xml version="1.0" encoding="utf-8"?>
<tincan xmlns="http://projecttincan.com/tincan.xsd">
  <activities>
    <activity id="http://example.com/activities/quiz-1" type="http://adlnet.gov/expapi/activities/assessment">
      <name>Quiz</name>
    </activity>
    <activity id="http://example.com/courses/onboarding" type="http://adlnet.gov/expapi/activities/course">
      <name lang="en-US">Onboarding</name>
      <description lang="en-US">Welcome aboard</description>
      <launch lang="en-US">story_html5.html</launch>
    </activity>
  </activities>
</tincan>`;

/** The classic "billion laughs" document, dressed as a manifest. */
export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE manifest [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<manifest identifier="LOL"><organizations><organization><title>&lol3;</title></organization></organizations></manifest>`;

type FileValue = string | Uint8Array | [string | Uint8Array, ZipAttributes];

/** Zips `files` with fflate (strings are UTF-8 encoded; tuples carry zip attributes). */
export function zipFiles(files: Record<string, FileValue>, level: 0 | 6 | 9 = 6): Uint8Array {
  const bytes = (value: string | Uint8Array) => (typeof value === "string" ? strToU8(value) : value);
  const entries = Object.fromEntries(
    Object.entries(files).map(([name, value]) =>
      Array.isArray(value) ? [name, [bytes(value[0]), value[1]]] : [name, bytes(value)],
    ),
  );
  return zipSync(entries, { level, mtime: new Date("2024-01-01T00:00:00Z") });
}

/** Valid SCORM 1.2 package (launch `index_lms.html`). */
export const scorm12Zip = (extra: Record<string, FileValue> = {}) =>
  zipFiles({
    "imsmanifest.xml": SCORM12_MANIFEST,
    "index_lms.html": "<html>lesson</html>",
    "other.html": "<html>other</html>",
    "assets/": new Uint8Array(0),
    "assets/app.js": "console.log(1)",
    ...extra,
  });

/** A valid SCORM 1.2 package for the course `code` (its manifest identifier). */
export const coursePackage = (code: string) =>
  zipFiles({
    "imsmanifest.xml": SCORM12_MANIFEST.replace('identifier="SAFETY-101"', `identifier="${code}"`),
    "index_lms.html": "<html>lesson</html>",
  });

/** Valid SCORM 2004 package (launch `content/story.html`). */
export const scorm2004Zip = () =>
  zipFiles({ "imsmanifest.xml": SCORM2004_MANIFEST, "content/story.html": "<html>story</html>" });

/** Valid xAPI package (launch `story_html5.html`). */
export const xapiZip = () =>
  zipFiles({ "tincan.xml": TINCAN_XML, "story_html5.html": "<html>x</html>", "quiz.html": "<html>q</html>" });

/** Header fields {@link patchEntry} can overwrite, in both central and local headers. */
export interface EntryPatch {
  flags?: number;
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  versionMadeBy?: number;
  externalAttributes?: number;
}

/** Returns a copy of `zip` with the named entry's header fields replaced. */
export function patchEntry(zip: Uint8Array, name: string, patch: EntryPatch): Uint8Array {
  const out = zip.slice();
  const dv = new DataView(out.buffer);
  const eocd = out.length - 22;
  if (dv.getUint32(eocd, true) !== 0x06054b50) throw new Error("fixture zip must have no comment");
  let at = dv.getUint32(eocd + 16, true);
  for (let i = 0; i < dv.getUint16(eocd + 10, true); i++) {
    const nameLength = dv.getUint16(at + 28, true);
    const entryName = new TextDecoder().decode(out.subarray(at + 46, at + 46 + nameLength));
    if (entryName === name) {
      const local = dv.getUint32(at + 42, true);
      const both = (centralOffset: number, localOffset: number, value: number | undefined, bytes: 2 | 4) => {
        if (value === undefined) return;
        const set = (offset: number) =>
          bytes === 2 ? dv.setUint16(offset, value, true) : dv.setUint32(offset, value >>> 0, true);
        set(at + centralOffset);
        if (localOffset >= 0) set(local + localOffset);
      };
      both(8, 6, patch.flags, 2);
      both(16, 14, patch.crc32, 4);
      both(20, 18, patch.compressedSize, 4);
      both(24, 22, patch.uncompressedSize, 4);
      both(4, -1, patch.versionMadeBy, 2);
      both(38, -1, patch.externalAttributes, 4);
      return out;
    }
    at += 46 + nameLength + dv.getUint16(at + 30, true) + dv.getUint16(at + 32, true);
  }
  throw new Error(`no entry named ${name}`);
}

/** An entry for {@link writeRawZip}: `data` is written as-is (already compressed if method 8). */
export interface RawEntry {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
  /** Defaults to the CRC of `data` (correct for stored entries). */
  crc32?: number;
  uncompressedSize?: number;
}

/** Writes a zip byte by byte, trusting the caller's sizes and CRCs (so they can lie). */
export function writeRawZip(entries: readonly RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = strToU8(entry.name);
    const size = entry.uncompressedSize ?? entry.data.length;
    const crc = entry.crc32 ?? crc32(entry.data);
    const header = (length: number, sig: number) => {
      const bytes = new Uint8Array(length + name.length);
      const dv = new DataView(bytes.buffer);
      dv.setUint32(0, sig, true);
      return { bytes, dv };
    };
    const local = header(30, 0x04034b50);
    local.dv.setUint16(4, 20, true);
    local.dv.setUint16(8, entry.method ?? 0, true);
    local.dv.setUint32(14, crc, true);
    local.dv.setUint32(18, entry.data.length, true);
    local.dv.setUint32(22, size, true);
    local.dv.setUint16(26, name.length, true);
    local.bytes.set(name, 30);
    const cen = header(46, 0x02014b50);
    cen.dv.setUint16(4, 20, true);
    cen.dv.setUint16(6, 20, true);
    cen.dv.setUint16(10, entry.method ?? 0, true);
    cen.dv.setUint32(16, crc, true);
    cen.dv.setUint32(20, entry.data.length, true);
    cen.dv.setUint32(24, size, true);
    cen.dv.setUint16(28, name.length, true);
    cen.dv.setUint32(42, offset, true);
    cen.bytes.set(name, 46);
    parts.push(local.bytes, entry.data);
    central.push(cen.bytes);
    offset += local.bytes.length + entry.data.length;
  }
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  const eocd = new Uint8Array(22);
  const dv = new DataView(eocd.buffer);
  dv.setUint32(0, 0x06054b50, true);
  dv.setUint16(8, entries.length, true);
  dv.setUint16(10, entries.length, true);
  dv.setUint32(12, centralSize, true);
  dv.setUint32(16, offset, true);
  return concat([...parts, ...central, eocd]);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

let zeroUnit: Uint8Array | undefined;

/**
 * Raw deflate stream inflating to `mib` MiB of zeros (~1 KiB per MiB). Built by
 * repeating one sync-flushed 1 MiB block, so even gigabytes cost milliseconds to build.
 */
export function deflatedZeros(mib: number): Uint8Array {
  if (!zeroUnit) {
    const chunks: Uint8Array[] = [];
    const deflate = new Deflate({ level: 9 }, (chunk) => chunks.push(chunk));
    deflate.push(new Uint8Array(MIB), false);
    deflate.flush(true);
    zeroUnit = concat(chunks);
  }
  const finalEmptyBlock = Uint8Array.of(0x03, 0x00);
  return concat([...Array.from({ length: mib }, () => zeroUnit!), finalEmptyBlock]);
}

const HTML = strToU8("<html>lesson</html>");

/** Honest zip bomb: a valid SCORM package plus `mib` MiB of zeros declared truthfully. */
export function zipBomb(mib = 50): Uint8Array {
  return writeRawZip([
    { name: "imsmanifest.xml", data: strToU8(SCORM12_MANIFEST) },
    { name: "index_lms.html", data: HTML },
    { name: "video.mp4", data: deflatedZeros(mib), method: 8, uncompressedSize: mib * MIB },
  ]);
}

/** Lying zip bomb: the manifest claims 600 bytes but inflates to `mib` MiB (default 2 GiB). */
export function lyingManifestBomb(mib = 2048): Uint8Array {
  return writeRawZip([
    { name: "imsmanifest.xml", data: deflatedZeros(mib), method: 8, uncompressedSize: 600 },
    { name: "index_lms.html", data: HTML },
  ]);
}
