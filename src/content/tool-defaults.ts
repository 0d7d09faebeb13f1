/**
 * Course codes for packages whose manifest identifier is an authoring tool's default. Adapt writes
 * `adapt_manifest` into every course, Adobe Captivate `Course_ID1` unless the author changes it, and H5P
 * courses packaged for SCORM come with `00`: taken as the code, two different courses would collide, and
 * the second could never be uploaded. For those identifiers only, the code is the identifier, a hyphen
 * and the course title in lower case with hyphens (`Course_ID1-fire-safety-basics`), or the file name
 * when the title is missing or is a tool's placeholder too. It is deterministic, so a later version of the
 * same course (same title, or same file name) gets the same code and a content replacement finds it.
 */

/** The identifiers, the tool that writes them, and where the author sets their own. */
const DEFAULT_IDENTIFIERS: Readonly<Record<string, { tool: string; setOwn: string }>> = {
  adapt_manifest: {
    tool: "Adapt",
    setOwn:
      "change identifier=\"adapt_manifest\" in the package's imsmanifest.xml (written by Adapt's Spoor extension) before zipping",
  },
  Course_ID1: {
    tool: "Adobe Captivate",
    setOwn:
      "give the course its own identifier in Captivate (Publish Settings › Quiz › SCORM › Manifest › Identifier) before publishing",
  },
  "00": {
    tool: "H5P's SCORM packaging",
    setOwn: "give the package its own identifier where the H5P content is packaged for SCORM",
  },
};

/** Titles tools give an untitled course: no better than the identifier for telling courses apart. */
const PLACEHOLDER_TITLE = /^(title|course title|sco title|untitled( project| course)?|adapt version \d+|)$/i;

const SLUG_LENGTH = 60;

export interface ToolDefault {
  /** The manifest's identifier. */
  identifier: string;
  /** The tool known to write it. */
  tool: string;
  /** What the code was made from. */
  from: "title" | "file name";
  /** How the admin gets a code of their own choosing: "give the course its own identifier in …". */
  setOwn: string;
}

/** The report's Warning for a code made from a title or file name: what happened, what to keep in mind. */
export function toolDefaultWarning(code: string, d: ToolDefault): { issue: string; resolution: string } {
  return {
    issue: `The manifest's identifier “${d.identifier}” is the one ${d.tool} gives every course, so the course code was made from its ${d.from}: “${code}”.`,
    resolution: `Nothing to do. A later version replaces this course when its ${d.from} is the same; to choose the code yourself, ${d.setOwn}.`,
  };
}

export interface CourseCode {
  code: string;
  /** Set when the identifier is a tool's default and the code was made from the title or file name. */
  toolDefault: ToolDefault | null;
}

/** The course code for a package: its identifier, unless that is a tool's default (see above). */
export function courseCodeFor(identifier: string, title: string, fileName: string): CourseCode {
  const known = DEFAULT_IDENTIFIERS[identifier];
  if (!known) return { code: identifier, toolDefault: null };
  const usableTitle = PLACEHOLDER_TITLE.test(title.trim()) ? "" : slug(title);
  const from = usableTitle ? "title" : "file name";
  const suffix = usableTitle || slug(fileName.replace(/\.zip$/i, "")) || hash(title + fileName);
  return {
    code: `${identifier}-${suffix}`,
    toolDefault: { identifier, tool: known.tool, from, setOwn: known.setOwn },
  };
}

/** "Brandschutz: Grundlagen (2025)" → "brandschutz-grundlagen-2025". Accents dropped, other scripts left out. */
function slug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, SLUG_LENGTH)
    .replace(/-+$/, "");
}

/** FNV-1a, hex: a stable suffix for a title and file name with no Latin letters or digits at all. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
