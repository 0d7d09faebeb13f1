/**
 * Writes the example content packages under examples/packages/ (run once; the zips are committed):
 * a SCORM 1.2 course SEC-101, an xAPI course GDPR-1, a version 2 of SEC-101 for content replacement,
 * and a broken package (zip-slip) to see an Error row.
 */
import { writeFileSync } from "node:fs";
import { strToU8, zipSync } from "fflate";

const scorm12 = (identifier: string, title: string, version: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${identifier}" version="${version}" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>${title}</title>
      <item identifier="item1" identifierref="res1"><title>${title}</title></item>
    </organization>
  </organizations>
  <resources><resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource></resources>
</manifest>`;

const page = (title: string) => strToU8(`<!doctype html><title>${title}</title><h1>${title}</h1>`);

const tincan = `<?xml version="1.0" encoding="utf-8"?>
<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>
  <activity id="GDPR-1" type="http://adlnet.gov/expapi/activities/course">
    <name>Data protection essentials</name><launch lang="en-US">story.html</launch>
  </activity>
</activities></tincan>`;

const out = "examples/packages";
writeFileSync(
  `${out}/sec-101.zip`,
  zipSync({
    "imsmanifest.xml": strToU8(scorm12("SEC-101", "Security basics", "1")),
    "index.html": page("Security basics"),
  }),
);
writeFileSync(
  `${out}/gdpr-1.zip`,
  zipSync({ "tincan.xml": strToU8(tincan), "story.html": page("Data protection essentials") }),
);
writeFileSync(
  `${out}/sec-101-v2.zip`,
  zipSync({
    "imsmanifest.xml": strToU8(scorm12("SEC-101", "Security basics (2027 edition)", "2")),
    "index.html": page("Security basics 2027"),
  }),
);
writeFileSync(
  `${out}/broken-zip-slip.zip`,
  zipSync({
    "imsmanifest.xml": strToU8(scorm12("EVIL-1", "Evil", "1")),
    "index.html": page("x"),
    "../../escape.html": page("escape"),
  }),
);
console.log("wrote", out);
