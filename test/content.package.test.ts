import { describe, expect, test } from "bun:test";
import { strToU8 } from "fflate";
import { resolveLaunchHref } from "../src/content/manifest";
import {
  formatSize,
  inspectPackage,
  type PackageFailure,
  type PackageInfo,
  type PackageResult,
} from "../src/content/package";
import { crc32, inflateEntry, isUnsafeEntryName, readCentralDirectory, ZipError } from "../src/content/zip";
import {
  BILLION_LAUGHS,
  deflatedZeros,
  lyingManifestBomb,
  patchEntry,
  SCORM12_MANIFEST,
  SCORM2004_MANIFEST,
  scorm12Zip,
  scorm2004Zip,
  TINCAN_XML,
  writeRawZip,
  xapiZip,
  zipBomb,
  zipFiles,
} from "./support/zip-fixtures";

function ok(result: PackageResult): PackageInfo {
  if (!result.ok) throw new Error(`expected success, got: ${result.issue} / ${result.resolution}`);
  return result;
}

function failed(result: PackageResult, issue: RegExp): PackageFailure {
  if (result.ok) throw new Error(`expected failure matching ${issue}, got success`);
  expect(result.issue).toMatch(issue);
  expect(result.resolution.length).toBeGreaterThan(20);
  expect(result.resolution).toMatch(/\.$/);
  return result;
}

describe("inspectPackage: valid packages", () => {
  test("SCORM 1.2: default organization, nested item, query stripped, entities decoded", () => {
    const info = ok(inspectPackage("safety.zip", scorm12Zip()));
    expect(info).toMatchObject({
      kind: "scorm12",
      code: "SAFETY-101",
      title: "Health & Safety – Basics",
      launchPath: "index_lms.html",
      fileCount: 4,
    });
    expect(info.uncompressedBytes).toBeGreaterThan(SCORM12_MANIFEST.length);
  });

  test("SCORM 2004: prefixed namespaces, schemaversion, xml:base", () => {
    const info = ok(inspectPackage("fire.zip", scorm2004Zip()));
    expect(info).toMatchObject({
      kind: "scorm2004",
      code: "com.example.fire-safety",
      title: "Fire Safety",
      launchPath: "content/story.html",
      fileCount: 2,
    });
  });

  test("SCORM 2004 recognised from the adlcp_v1p3 namespace alone", () => {
    const manifest = SCORM2004_MANIFEST.replace(/<imscp:metadata>.*<\/imscp:metadata>/, "");
    const zip = zipFiles({ "imsmanifest.xml": manifest, "content/story.html": "x" });
    expect(ok(inspectPackage("fire.zip", zip)).kind).toBe("scorm2004");
  });

  test("xAPI: the course activity wins over earlier activities", () => {
    const info = ok(inspectPackage("onboarding.zip", xapiZip()));
    expect(info).toMatchObject({
      kind: "xapi",
      code: "http://example.com/courses/onboarding",
      title: "Onboarding",
      launchPath: "story_html5.html",
      fileCount: 3,
    });
  });

  test("stored (uncompressed) zips, percent-encoded launch and title fallbacks", () => {
    const manifest = `<manifest identifier="M1"><organizations><organization>
      <item identifierref="R"><title>First lesson</title></item></organization></organizations>
      <resources><resource identifier="R" href="my%20lesson/start.html"/></resources></manifest>`;
    const zip = zipFiles({ "imsmanifest.xml": manifest, "my lesson/start.html": "x" }, 0);
    expect(ok(inspectPackage("m1.zip", zip))).toMatchObject({
      kind: "scorm12",
      title: "First lesson",
      launchPath: "my lesson/start.html",
    });
  });
});

describe("inspectPackage: broken archives", () => {
  test("not a zip (a CSV renamed .zip)", () => {
    const csv = strToU8("email,first_name\nann@example.com,Ann\n");
    const result = failed(inspectPackage("users.zip", csv), /^The file is not a zip archive\.$/);
    expect(result.resolution).toMatch(/SCORM or xAPI/);
  });

  test("empty file", () => {
    failed(inspectPackage("x.zip", new Uint8Array(0)), /empty/);
  });

  test("truncated zip (cut in half)", () => {
    const zip = scorm12Zip();
    failed(inspectPackage("x.zip", zip.subarray(0, zip.length >> 1)), /incomplete/);
  });

  test("corrupt manifest data (CRC mismatch)", () => {
    const zip = zipFiles({ "imsmanifest.xml": SCORM12_MANIFEST, "index_lms.html": "x" }, 0);
    const at = zip.indexOf(0x3c); // first "<" of the stored manifest
    zip[at + 10] = 0x21;
    failed(inspectPackage("x.zip", zip), /damaged/);
  });

  test("encrypted entry (bit 0 of the general purpose flags)", () => {
    const zip = patchEntry(scorm12Zip(), "assets/app.js", { flags: 0x1 });
    failed(inspectPackage("x.zip", zip), /encrypted.*assets\/app\.js/);
  });

  test("encrypted flag set only in the local header is still caught", () => {
    const zip = scorm12Zip();
    zip[6] = (zip[6] ?? 0) | 0x1; // flags of the first local header, which starts at offset 0
    failed(inspectPackage("x.zip", zip), /encrypted/);
  });

  test("symbolic link entry", () => {
    const zip = scorm12Zip({ "assets/passwd": ["/etc/passwd", { os: 3, attrs: 0o120777 << 16 }] });
    failed(inspectPackage("x.zip", zip), /symbolic link.*assets\/passwd/);
  });

  test("duplicate entry names", () => {
    const data = strToU8("x");
    const zip = writeRawZip([
      { name: "imsmanifest.xml", data: strToU8(SCORM12_MANIFEST) },
      { name: "index_lms.html", data },
      { name: "index_lms.html", data },
    ]);
    failed(inspectPackage("x.zip", zip), /more than once/);
  });

  for (const name of ["../evil.html", "/etc/x", "..\\x", "assets/../../x", "C:\\Windows\\x", "C:/x"]) {
    test(`zip-slip entry ${JSON.stringify(name)}`, () => {
      failed(inspectPackage("x.zip", scorm12Zip({ [name]: "pwned" })), /unsafe location/);
    });
  }
});

describe("inspectPackage: size limits and zip bombs", () => {
  test("zip bomb rejected on declared ratio without inflating", () => {
    const bomb = zipBomb(50);
    expect(bomb.length).toBeLessThan(100_000);
    failed(inspectPackage("bomb.zip", bomb), /zip bomb/);
  });

  test("lying manifest header (600 bytes claimed, 2 GiB real) stops early", () => {
    const bomb = lyingManifestBomb(2048);
    failed(inspectPackage("bomb.zip", bomb), /false sizes/);
    // It stops at the declared 600 bytes, not after inflating 2 GiB (checked by what stops it, not by time).
    const manifest = readCentralDirectory(bomb, 10).find((e) => e.name === "imsmanifest.xml")!;
    expect(() => inflateEntry(bomb, manifest, 1024 * 1024)).toThrow("inflated past the cap");
  });

  test("stored entry whose sizes disagree", () => {
    const zip = patchEntry(zipFiles({ "imsmanifest.xml": SCORM12_MANIFEST }, 0), "imsmanifest.xml", {
      uncompressedSize: 10,
    });
    failed(inspectPackage("x.zip", zip), /false sizes/);
  });

  test("total uncompressed size cap (declared 3 GiB)", () => {
    const zip = patchEntry(scorm12Zip(), "assets/app.js", { uncompressedSize: 3 * 1024 ** 3 });
    failed(
      inspectPackage("x.zip", zip, { maxCompressionRatio: Number.POSITIVE_INFINITY }),
      /more than 1,024 MB/,
    );
  });

  test("sizes are shown in admin-friendly units", () => {
    expect(formatSize(200 * 1024 * 1024)).toBe("200 MB");
    expect(formatSize(1.5 * 1024 * 1024)).toBe("1.5 MB");
    expect(formatSize(2048)).toBe("2 KB");
    expect(formatSize(12)).toBe("12 bytes");
  });

  test("limits are overridable", () => {
    const zip = scorm12Zip();
    failed(inspectPackage("x.zip", zip, { maxUncompressedBytes: 1000 }), /unpacks to more than/);
    failed(inspectPackage("x.zip", zip, { maxArchiveBytes: 100 }), /more than the 100 bytes limit/);
    failed(inspectPackage("x.zip", zip, { maxEntries: 3 }), /more than 3 files/);
    failed(inspectPackage("x.zip", zip, { maxManifestBytes: 100 }), /larger than/);
    failed(inspectPackage("x.zip", zip, { maxCompressionRatio: 0.5 }), /zip bomb/);
  });
});

describe("inspectPackage: manifests", () => {
  test("missing manifest", () => {
    failed(inspectPackage("x.zip", zipFiles({ "index.html": "x" })), /no imsmanifest\.xml/);
  });

  test("manifest inside a folder is not accepted", () => {
    const zip = zipFiles({ "course/imsmanifest.xml": SCORM12_MANIFEST, "course/index_lms.html": "x" });
    const result = failed(inspectPackage("x.zip", zip), /inside a folder.*course\/imsmanifest\.xml/);
    expect(result.resolution).toMatch(/top level/);
  });

  test("launch file named by the manifest is missing", () => {
    const zip = zipFiles({ "imsmanifest.xml": SCORM12_MANIFEST, "other.html": "x" });
    failed(inspectPackage("x.zip", zip), /starts with “index_lms\.html\?lang=en#start”.*not in the package/);
  });

  test("xAPI launch file missing", () => {
    failed(inspectPackage("x.zip", zipFiles({ "tincan.xml": TINCAN_XML })), /story_html5\.html/);
  });

  test("billion laughs (DOCTYPE entities) is refused", () => {
    const zip = zipFiles({ "imsmanifest.xml": BILLION_LAUGHS, "index.html": "x" });
    failed(inspectPackage("x.zip", zip), /^The manifest uses XML entities, which are not allowed\.$/);
  });

  test("manifest without identifier (SCORM and xAPI)", () => {
    const scorm = SCORM12_MANIFEST.replace('identifier="SAFETY-101"', "");
    failed(
      inspectPackage("x.zip", scorm12Zip({ "imsmanifest.xml": scorm })),
      /does not give the course an identifier/,
    );
    const tincan = zipFiles({
      "tincan.xml": "<tincan><activities><activity><name>x</name></activity></activities></tincan>",
    });
    failed(inspectPackage("x.zip", tincan), /does not give the course an identifier/);
  });

  test("unreadable XML", () => {
    const zip = zipFiles({ "imsmanifest.xml": "<manifest identifier='x'><organizations></manifest>" });
    failed(inspectPackage("x.zip", zip), /not valid XML \(error on line 1\)/);
  });

  test("manifest that names no launch file", () => {
    const zip = zipFiles({ "imsmanifest.xml": '<manifest identifier="x"><resources/></manifest>' });
    failed(inspectPackage("x.zip", zip), /does not say which file starts/);
  });
});

describe("path helpers", () => {
  test("isUnsafeEntryName", () => {
    for (const bad of ["../a", "a/../../b", "/abs", "\\abs", "..\\a", "C:\\a", "c:a", "a\0b"]) {
      expect(isUnsafeEntryName(bad)).toBe(true);
    }
    for (const good of ["a.html", "a/b/c.js", "..a/b", "a..b/c", "folder/"])
      expect(isUnsafeEntryName(good)).toBe(false);
  });

  test("resolveLaunchHref", () => {
    expect(resolveLaunchHref("./a/b/../c.html?x=1#y")).toBe("a/c.html");
    expect(resolveLaunchHref("content/index.html")).toBe("content/index.html");
    expect(resolveLaunchHref("../outside.html")).toBeNull();
    expect(resolveLaunchHref("https://example.com/x.html")).toBeNull();
    expect(resolveLaunchHref("?only=query")).toBeNull();
  });
});

describe("zip reader", () => {
  test("crc32 matches the standard check value", () => {
    expect(crc32(strToU8("123456789"))).toBe(0xcbf43926);
  });

  test("inflateEntry caps output at the given limit", () => {
    const zip = writeRawZip([
      { name: "z", data: deflatedZeros(64), method: 8, uncompressedSize: 64 * 1024 * 1024 },
    ]);
    const [entry] = readCentralDirectory(zip, 10);
    expect(() => inflateEntry(zip, entry!, 4096)).toThrow(ZipError);
  });

  test("readCentralDirectory refuses too many entries before reading them", () => {
    expect(() => readCentralDirectory(scorm12Zip(), 2)).toThrow(/entries/);
  });
});
