/**
 * Packages as authoring tools and real corpora have them: tools' default identifiers (a code made from
 * the title or file name), manifests cut off mid-document, launches hosted on another website, and
 * course formats that are recognisable but not played (SCORM 1.1, cmi5, AICC).
 */
import { describe, expect, test } from "bun:test";
import { inspectPackage, type PackageInfo, type PackageResult } from "../src/content/package";
import { courseCodeFor } from "../src/content/tool-defaults";
import { adaptPackage, captivatePackage, h5pPackage } from "./support/authoring-tools";
import { SCORM12_MANIFEST, TINCAN_XML, zipFiles } from "./support/zip-fixtures";

function ok(result: PackageResult): PackageInfo {
  if (!result.ok) throw new Error(`expected success, got: ${result.issue}`);
  return result;
}

function issueOf(result: PackageResult): string {
  if (result.ok) throw new Error("expected a failure");
  return result.issue;
}

describe("authoring tools' default identifiers", () => {
  test("Adapt: adapt_manifest with the course title", () => {
    const info = ok(inspectPackage("fire-safety.zip", adaptPackage("Brandschutz: Grundlagen (2025)")));
    expect(info.code).toBe("adapt_manifest-brandschutz-grundlagen-2025");
    expect(info.title).toBe("Brandschutz: Grundlagen (2025)");
    expect(info.launchPath).toBe("index_lms.html");
    expect(info.toolDefault).toMatchObject({ identifier: "adapt_manifest", tool: "Adapt", from: "title" });
  });

  test("Captivate: Course_ID1 with the course title; accents are kept as letters", () => {
    const info = ok(inspectPackage("x.zip", captivatePackage("Sécurité & Santé")));
    expect(info.code).toBe("Course_ID1-securite-sante");
    expect(info.launchPath).toBe("index_scorm.html");
    expect(info.kind).toBe("scorm12");
  });

  test("H5P: 00, and the file name where the title is a placeholder", () => {
    const titled = ok(inspectPackage("quiz.zip", h5pPackage("Chapter 1 Quiz")));
    expect(titled.code).toBe("00-chapter-1-quiz");
    expect(titled.kind).toBe("scorm2004");
    const untitled = ok(inspectPackage("Quiz – Kapitel 2.zip", h5pPackage("Untitled")));
    expect(untitled.code).toBe("00-quiz-kapitel-2");
    expect(untitled.toolDefault?.from).toBe("file name");
  });

  test("the same course exported again gets the same code; other courses other codes", () => {
    const v1 = ok(inspectPackage("a.zip", adaptPackage("Onboarding", "1"))).code;
    const v2 = ok(inspectPackage("a-v2.zip", adaptPackage("Onboarding", "2"))).code;
    const other = ok(inspectPackage("a.zip", adaptPackage("Offboarding"))).code;
    expect(v2).toBe(v1);
    expect(other).not.toBe(v1);
  });

  test("any other identifier is the code as it is", () => {
    expect(courseCodeFor("SAFETY-101", "Safety", "s.zip")).toEqual({ code: "SAFETY-101", toolDefault: null });
    expect(courseCodeFor("course_id1", "Safety", "s.zip").toolDefault).toBeNull();
    const script = courseCodeFor("Course_ID1", "安全教育", "安全.zip");
    expect(script.code).toMatch(/^Course_ID1-[0-9a-f]{8}$/);
    expect(courseCodeFor("Course_ID1", "安全教育", "安全.zip").code).toBe(script.code);
    expect(courseCodeFor("Course_ID1", "x".repeat(300), "f.zip").code).toBe(`Course_ID1-${"x".repeat(60)}`);
  });
});

describe("manifests cut off mid-document", () => {
  test("names the line where the document ends", () => {
    const full = SCORM12_MANIFEST;
    const lines = full.split("\n");
    const cut = lines.slice(0, 18).join("\n");
    const zip = zipFiles({ "imsmanifest.xml": `${cut.slice(0, -10)}\n`, "index_lms.html": "x" });
    expect(issueOf(inspectPackage("x.zip", zip))).toBe(
      "The manifest imsmanifest.xml is not valid XML: it ends on line 18 before its elements are closed, so the file was cut off.",
    );
  });

  test("a whole document with a wrong tag is still 'not valid XML' with the validator's line", () => {
    const broken = SCORM12_MANIFEST.replace("</organizations>", "</organisations>");
    const zip = zipFiles({ "imsmanifest.xml": broken, "index_lms.html": "x" });
    expect(issueOf(inspectPackage("x.zip", zip))).toMatch(
      /^The manifest imsmanifest\.xml is not valid XML \(error on line 1[0-9]\)\.$/,
    );
  });

  test("a trailing comment or blank lines after the root do not count as cut off; tincan.xml too", () => {
    const commented = `${SCORM12_MANIFEST.replace("</organizations>", "</organisations>")}\n<!-- exported -->\n\n`;
    expect(issueOf(inspectPackage("x.zip", zipFiles({ "imsmanifest.xml": commented })))).toMatch(
      /error on line/,
    );
    const tincan = TINCAN_XML.slice(0, TINCAN_XML.indexOf("</activity>"));
    expect(issueOf(inspectPackage("x.zip", zipFiles({ "tincan.xml": tincan })))).toMatch(
      /^The manifest tincan\.xml is not valid XML: it ends on line 5 before its elements are closed/,
    );
  });
});

describe("launches hosted elsewhere", () => {
  for (const href of ["https://cdn.example.com/course/index.html", "//cdn.example.com/index.html"]) {
    test(href, () => {
      const tincan = TINCAN_XML.replace("story_html5.html", href);
      const result = inspectPackage("x.zip", zipFiles({ "tincan.xml": tincan }));
      expect(issueOf(result)).toBe(
        `The manifest says the course starts at “${href}”, an address on another website, not a file in the package. This portal plays courses from the files in their package.`,
      );
      expect(result.ok || result.resolution).toMatch(/package that contains its files/);
    });
  }
});

describe("course formats that are recognised but not played", () => {
  test("SCORM 1.1 (CSF.xml)", () => {
    const zip = zipFiles({ "CSF.xml": '<?xml version="1.0"?><ContentStructure/>', "lesson.html": "x" });
    expect(issueOf(inspectPackage("x.zip", zip))).toBe(
      "The package is a SCORM 1.1 course (it has CSF.xml and no imsmanifest.xml): SCORM 1.1 is not supported.",
    );
  });

  test("cmi5 and AICC", () => {
    expect(issueOf(inspectPackage("x.zip", zipFiles({ "cmi5.xml": "<courseStructure/>" })))).toMatch(
      /cmi5 is not supported\.$/,
    );
    const aicc = zipFiles({ "course.crs": "[Course]", "course.au": "x", "course.des": "x", "a.html": "x" });
    expect(issueOf(inspectPackage("x.zip", aicc))).toMatch(/AICC is not supported\.$/);
  });

  test("a SCORM 1.2 package that also carries a CSF.xml is SCORM 1.2", () => {
    const zip = zipFiles({
      "imsmanifest.xml": SCORM12_MANIFEST,
      "CSF.xml": "<x/>",
      "index_lms.html": "x",
      "other.html": "x",
    });
    expect(ok(inspectPackage("x.zip", zip)).kind).toBe("scorm12");
  });
});
