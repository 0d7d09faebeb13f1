/**
 * Packages shaped like authoring tools' SCORM exports: the manifest each tool writes (its identifiers,
 * organization and resource names, launch file) and the files around it. What matters here is that each
 * comes with the tool's default manifest identifier, whatever the course:
 *
 * - Adapt (Spoor extension, SCORM 1.2): `identifier="adapt_manifest"`, organization `adapt_scorm`, item
 *   `item_1` → resource `res1` launching `index_lms.html`, the title in a CDATA section, the four SCORM 1.2
 *   schema files beside it (as in Adapt builds and in Totara's mobile-app fixture of one).
 * - Adobe Captivate (Publish › SCORM 1.2, manifest settings left as they are): `identifier="Course_ID1"`,
 *   organization `Course_ID1_ORG`, item `SCO_ID1` → resource `SCO_ID1_RES` launching `index_scorm.html`.
 * - H5P content packaged for SCORM 2004 (the corpus of issue 13 had such packages with `identifier="00"`;
 *   the rest follows simple-scorm-packager, which H5P-to-SCORM tools use): organization named after the
 *   author's organization, `item_00` → `resource_00` launching `index.html`, the H5P content in `workspace/`.
 */
import { zipFiles } from "./zip-fixtures";

const HTML = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>';
const XSD = '<?xml version="1.0"?><xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>';
const SCORM12_SCHEMAS = {
  "adlcp_rootv1p2.xsd": XSD,
  "ims_xml.xsd": XSD,
  "imscp_rootv1p1p2.xsd": XSD,
  "imsmd_rootv1p2p1.xsd": XSD,
};

const escapeXml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** An Adapt course built with Spoor for SCORM 1.2. */
export function adaptPackage(title: string, version = "1"): Uint8Array {
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="adapt_manifest" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
    <lom xmlns="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1" xsi:schemaLocation="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd">
      <general>
        <title>
          <langstring xml:lang="x-none"><![CDATA[${title}]]></langstring>
        </title>
        <description>
          <langstring xml:lang="x-none"><![CDATA[]]></langstring>
        </description>
      </general>
    </lom>
  </metadata>
  <organizations default="adapt_scorm">
    <organization identifier="adapt_scorm">
      <title><![CDATA[${title}]]></title>
      <item identifier="item_1" isvisible="true" identifierref="res1">
        <title><![CDATA[${title}]]></title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" href="index_lms.html" adlcp:scormtype="sco">
      <file href="index_lms.html"/>
    </resource>
  </resources>
</manifest>
`;
  return zipFiles({
    "imsmanifest.xml": manifest,
    ...SCORM12_SCHEMAS,
    "index.html": HTML,
    "index_lms.html": HTML,
    "adapt/js/adapt.min.js": `/* adapt build ${version} */`,
    "course/config.json": '{"_defaultLanguage":"en"}',
    "course/en/course.json": JSON.stringify({ _id: "course", title, _buildVersion: version }),
  });
}

/** An Adobe Captivate project published as SCORM 1.2 with the default manifest settings. */
export function captivatePackage(title: string): Uint8Array {
  const t = escapeXml(title);
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="Course_ID1" version="1.0"
	xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
	xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
	xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
	xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
	<metadata>
		<schema>ADL SCORM</schema>
		<schemaversion>1.2</schemaversion>
	</metadata>
	<organizations default="Course_ID1_ORG">
		<organization identifier="Course_ID1_ORG">
			<title>${t}</title>
			<item identifier="SCO_ID1" identifierref="SCO_ID1_RES">
				<title>${t}</title>
				<adlcp:masteryscore>80</adlcp:masteryscore>
			</item>
		</organization>
	</organizations>
	<resources>
		<resource identifier="SCO_ID1_RES" type="webcontent" adlcp:scormtype="sco" href="index_scorm.html">
			<file href="index_scorm.html"/>
			<file href="SCORM_utilities.js"/>
			<file href="Utilities.js"/>
		</resource>
	</resources>
</manifest>
`;
  return zipFiles({
    "imsmanifest.xml": manifest,
    ...SCORM12_SCHEMAS,
    "index.html": HTML,
    "index_scorm.html": HTML,
    "goodbye.html": HTML,
    "SCORM_utilities.js": "/* captivate */",
    "Utilities.js": "/* captivate */",
    "assets/js/CPXHRLoader.js": "/* captivate */",
    "dr/imgmd.json": "{}",
  });
}

/** H5P content packaged as SCORM 2004 4th Edition. */
export function h5pPackage(title: string, organization = "Learning Team"): Uint8Array {
  const t = escapeXml(title);
  const org = organization.replaceAll(" ", "_");
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="00" version="1" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 4th Edition</schemaversion>
    <adlcp:location>metadata.xml</adlcp:location>
  </metadata>
  <organizations default="${org}">
    <organization identifier="${org}">
      <title>${t}</title>
      <item identifier="item_00" identifierref="resource_00">
        <title>${t}</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="resource_00" type="webcontent" href="index.html" adlcp:scormType="sco">
      <file href="index.html"/>
      <file href="workspace/h5p.json"/>
    </resource>
  </resources>
</manifest>
`;
  return zipFiles({
    "imsmanifest.xml": manifest,
    "metadata.xml": '<?xml version="1.0"?><lom/>',
    "index.html": HTML,
    "workspace/h5p.json": JSON.stringify({ title, mainLibrary: "H5P.QuestionSet" }),
    "workspace/content/content.json": "{}",
  });
}
