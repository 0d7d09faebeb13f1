/**
 * Reads SCORM (`imsmanifest.xml`) and xAPI (`tincan.xml`) manifests into the few facts
 * the portal needs. Entity declarations are refused before parsing; the parser itself
 * never expands entities (the five predefined ones and numeric references are decoded here).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

/** Package flavours recognised from the manifest. */
export type PackageKind = "scorm12" | "scorm2004" | "xapi";

/** What a manifest says about the course; `launchHref` is relative to the package root. */
export interface ManifestInfo {
  kind: PackageKind;
  code: string;
  title: string;
  launchHref: string;
}

/** Machine-readable manifest problems; the caller turns them into admin-facing text. */
export type ManifestProblem =
  | "entities"
  | "invalidXml"
  | "truncated"
  | "wrongRoot"
  | "noIdentifier"
  | "noLaunch";

/** Outcome of {@link readScormManifest} / {@link readTincanManifest}. */
export type ManifestResult =
  | { ok: true; info: ManifestInfo }
  | { ok: false; problem: ManifestProblem; line?: number };

type XmlNode = Record<string, unknown>;

const XAPI_COURSE_TYPE = "http://adlnet.gov/expapi/activities/course";
const ARRAY_TAGS = new Set(["organization", "item", "resource", "activity"]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (tagName) => ARRAY_TAGS.has(tagName),
});

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the predefined XML entities and numeric character references in one pass. */
export function decodeXmlText(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function attr(node: XmlNode, name: string): string {
  const value = node[`@_${name}`];
  return typeof value === "string" ? decodeXmlText(value).trim() : "";
}

/** Text of an element: plain string, `#text`, or a nested LOM `langstring`/`string`. */
function textOf(value: unknown): string {
  if (typeof value === "string") return decodeXmlText(value).trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = textOf(item);
      if (text) return text;
    }
    return "";
  }
  if (isNode(value)) return textOf(value["#text"]) || textOf(value.langstring) || textOf(value.string);
  return "";
}

/** Depth-first search (document order per tag) for the first non-empty `<title>`. */
function firstTitle(value: unknown): string {
  for (const item of asArray(value)) {
    if (!isNode(item)) continue;
    const own = textOf(item.title);
    if (own) return own;
    for (const [key, child] of Object.entries(item)) {
      if (key.startsWith("@_") || key === "#text") continue;
      const found = firstTitle(child);
      if (found) return found;
    }
  }
  return "";
}

function parse(
  text: string,
  root: string,
): { ok: true; doc: XmlNode } | Extract<ManifestResult, { ok: false }> {
  if (/<!ENTITY/i.test(text)) return { ok: false, problem: "entities" };
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    // A document cut off mid-way is reported by the validator at the first unclosed tag (often line 1):
    // the line where the text ends is what tells the admin what happened.
    if (endsUnclosed(text, root)) return { ok: false, problem: "truncated", line: lastLine(text) };
    return { ok: false, problem: "invalidXml", line: valid.err.line };
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch {
    return { ok: false, problem: "invalidXml" };
  }
  const doc = isNode(parsed) ? parsed[root] : undefined;
  if (!isNode(doc)) return { ok: false, problem: "wrongRoot" };
  return { ok: true, doc };
}

/** The text does not end with the root element's closing tag (`</manifest>`, `</imscp:manifest>`). */
function endsUnclosed(text: string, root: string): boolean {
  let tail = text.slice(-4096).trimEnd();
  while (tail.endsWith("-->") && tail.includes("<!--"))
    tail = tail.slice(0, tail.lastIndexOf("<!--")).trimEnd();
  return !new RegExp(`</([\\w.-]+:)?${root}\\s*>$`).test(tail);
}

/** The number of the last line that has any text. */
function lastLine(text: string): number {
  const body = text.trimEnd();
  let lines = 1;
  for (let at = body.indexOf("\n"); at >= 0; at = body.indexOf("\n", at + 1)) lines++;
  return lines;
}

function withSlash(base: string): string {
  return base && !base.endsWith("/") ? `${base}/` : base;
}

function firstItemRef(items: unknown): string {
  for (const item of asArray(items)) {
    if (!isNode(item)) continue;
    const ref = attr(item, "identifierref");
    if (ref) return ref;
    const nested = firstItemRef(item.item);
    if (nested) return nested;
  }
  return "";
}

function detectScormKind(manifest: XmlNode, text: string): PackageKind {
  const metadata = asArray(manifest.metadata).find(isNode);
  const schemaVersion = metadata ? textOf(metadata.schemaversion) : "";
  if (/2004|1\.3/.test(schemaVersion)) return "scorm2004";
  if (/adl(cp|seq|nav)_v1p3/i.test(text)) return "scorm2004";
  return "scorm12";
}

/** Reads `imsmanifest.xml`: identifier, default organization title, first item's launch href. */
export function readScormManifest(text: string): ManifestResult {
  const parsed = parse(text, "manifest");
  if (!parsed.ok) return parsed;
  const manifest = parsed.doc;
  const code = attr(manifest, "identifier");
  if (!code) return { ok: false, problem: "noIdentifier" };

  const organizations = asArray(manifest.organizations).find(isNode);
  const orgList = organizations ? asArray(organizations.organization).filter(isNode) : [];
  const defaultId = organizations ? attr(organizations, "default") : "";
  const organization =
    orgList.find((org) => defaultId && attr(org, "identifier") === defaultId) ?? orgList[0];
  const title = (organization && textOf(organization.title)) || firstTitle(manifest);

  const resourcesNode = asArray(manifest.resources).find(isNode);
  const resources = resourcesNode ? asArray(resourcesNode.resource).filter(isNode) : [];
  const ref = organization ? firstItemRef(organization.item) : "";
  const resource = ref
    ? resources.find((candidate) => attr(candidate, "identifier") === ref)
    : (resources.find(
        (r) => attr(r, "href") && /^sco$/i.test(attr(r, "scormType") || attr(r, "scormtype")),
      ) ?? resources.find((r) => attr(r, "href")));
  const href = resource ? attr(resource, "href") : "";
  if (!resource || !href) return { ok: false, problem: "noLaunch" };
  const base =
    withSlash(attr(manifest, "base")) +
    withSlash(resourcesNode ? attr(resourcesNode, "base") : "") +
    withSlash(attr(resource, "base"));
  return { ok: true, info: { kind: detectScormKind(manifest, text), code, title, launchHref: base + href } };
}

/** Reads `tincan.xml`: the course activity (or the first one) gives code, title and launch. */
export function readTincanManifest(text: string): ManifestResult {
  const parsed = parse(text, "tincan");
  if (!parsed.ok) return parsed;
  const activitiesNode = asArray(parsed.doc.activities).find(isNode);
  const activities = activitiesNode ? asArray(activitiesNode.activity).filter(isNode) : [];
  const activity = activities.find((a) => attr(a, "type") === XAPI_COURSE_TYPE) ?? activities[0];
  const code = activity ? attr(activity, "id") : "";
  if (!activity || !code) return { ok: false, problem: "noIdentifier" };
  const launchHref = textOf(activity.launch);
  if (!launchHref) return { ok: false, problem: "noLaunch" };
  return { ok: true, info: { kind: "xapi", code, title: textOf(activity.name), launchHref } };
}

/** Turns a manifest href into an archive path: drops `?query`/`#fragment`, resolves `.`/`..`. */
export function resolveLaunchHref(href: string): string | null {
  const path = href.split(/[?#]/, 1)[0] ?? "";
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) return null;
  const out: string[] = [];
  for (const segment of path.replace(/\\/g, "/").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.pop() === undefined) return null;
    } else out.push(segment);
  }
  return out.length > 0 ? out.join("/") : null;
}

/** Percent-decodes a path, leaving it unchanged when it is not valid encoding. */
export function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
