/**
 * Why a package cannot be used, in words for a portal admin: what is wrong (`issue`) and what to do
 * (`resolution`), for every problem inspectPackage finds in the zip, its manifest or its format.
 */
import type { ManifestProblem } from "./manifest";
import type { ZipError } from "./zip";

const MIB = 1024 * 1024;

/** A rejected package, explained for a portal admin. */
export interface PackageFailure {
  ok: false;
  /** What is wrong with the package, in plain words. */
  issue: string;
  /** What the admin should do about it. */
  resolution: string;
}

export const REEXPORT =
  "Export the course from your authoring tool as a SCORM or xAPI package (.zip) and upload it again.";
export const REDOWNLOAD =
  "Download or export the package again and upload the new file. If it keeps failing, create the zip again from your authoring tool.";
export const DO_NOT_USE =
  "Do not use this file. Export the course again from your authoring tool, or ask whoever supplied it for a clean copy.";
export const SHRINK =
  "Make the course smaller (for example compress or remove large videos, or host them separately) and upload it again.";
export const FIX_MANIFEST =
  "Export the package again from your authoring tool. If the manifest was edited by hand, undo or correct those edits.";

export function fail(issue: string, resolution: string): PackageFailure {
  return { ok: false, issue, resolution };
}

/** Human-readable size for admins: "1,024 MB", "3.5 MB", "120 KB", "80 bytes". */
export function formatSize(bytes: number): string {
  if (bytes >= 10 * MIB) return `${Math.round(bytes / MIB).toLocaleString("en-US")} MB`;
  if (bytes >= MIB) return `${(Math.round((bytes / MIB) * 10) / 10).toString()} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

export function zipFailure(error: ZipError, maxEntries: number): PackageFailure {
  switch (error.reason) {
    case "notZip":
      return fail("The file is not a zip archive.", REEXPORT);
    case "truncated":
      return fail(
        "The zip file is incomplete; it was probably cut off during upload or download.",
        REDOWNLOAD,
      );
    case "tooManyEntries":
      return fail(
        `The package contains more than ${maxEntries.toLocaleString("en-US")} files.`,
        "Remove unused files from the course, export it again and upload the new package.",
      );
    case "sizeMismatch":
      return fail(
        "The zip file reports false sizes for its contents, so it is damaged or was tampered with.",
        DO_NOT_USE,
      );
    default:
      return fail("The zip file is damaged and cannot be read.", REDOWNLOAD);
  }
}

export function manifestFailure(problem: ManifestProblem, manifest: string, line?: number): PackageFailure {
  switch (problem) {
    case "entities":
      return fail(
        "The manifest uses XML entities, which are not allowed.",
        `${FIX_MANIFEST} Remove any <!DOCTYPE> and <!ENTITY> declarations from ${manifest}.`,
      );
    case "invalidXml":
      return fail(
        `The manifest ${manifest} is not valid XML${line ? ` (error on line ${line})` : ""}.`,
        FIX_MANIFEST,
      );
    case "truncated":
      return fail(
        `The manifest ${manifest} is not valid XML: it ends on line ${line} before its elements are closed, so the file was cut off.`,
        "Export the package again from your authoring tool (or, if the manifest was edited by hand, restore its missing end) and upload the new zip.",
      );
    case "wrongRoot":
      return fail(`The manifest ${manifest} is not a SCORM or xAPI manifest.`, REEXPORT);
    case "noIdentifier":
      return fail(`The manifest ${manifest} does not give the course an identifier.`, FIX_MANIFEST);
    case "noLaunch":
      return fail(`The manifest ${manifest} does not say which file starts the course.`, FIX_MANIFEST);
  }
}

/** Course formats that are recognisable but not played here; null when the files suggest none of them. */
export function otherFormat(names: readonly string[]): PackageFailure | null {
  const root = names.filter((name) => !name.includes("/")).map((name) => name.toLowerCase());
  const OTHER =
    "Export the course as SCORM 1.2, SCORM 2004 or xAPI from your authoring tool, and upload that package.";
  if (root.includes("csf.xml")) {
    return fail(
      "The package is a SCORM 1.1 course (it has CSF.xml and no imsmanifest.xml): SCORM 1.1 is not supported.",
      OTHER,
    );
  }
  if (root.includes("cmi5.xml")) {
    return fail(
      "The package is a cmi5 course (it has cmi5.xml and no tincan.xml): cmi5 is not supported.",
      OTHER,
    );
  }
  if (root.some((n) => n.endsWith(".crs")) && root.some((n) => n.endsWith(".au"))) {
    return fail(
      "The package is an AICC course (it has .crs and .au files and no imsmanifest.xml): AICC is not supported.",
      OTHER,
    );
  }
  return null;
}

/** The launch is an address on another website: nothing in the package to play. */
export function hostedElsewhere(href: string): PackageFailure {
  return fail(
    `The manifest says the course starts at “${href}”, an address on another website, not a file in the package. This portal plays courses from the files in their package.`,
    "Export the course from your authoring tool as a package that contains its files (a “web-hosted” or “URL” publish only points to content elsewhere), then upload the new zip.",
  );
}
