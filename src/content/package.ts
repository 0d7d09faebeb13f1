/**
 * Inspection of uploaded e-learning packages (SCORM 1.2, SCORM 2004, xAPI/TinCan zips).
 * Runtime-agnostic (no `node:` imports): only the manifest is ever inflated, with a hard
 * cap; every other entry is judged on its central-directory record alone.
 */

import {
  DO_NOT_USE,
  FIX_MANIFEST,
  fail,
  formatSize,
  hostedElsewhere,
  manifestFailure,
  otherFormat,
  type PackageFailure,
  REDOWNLOAD,
  REEXPORT,
  SHRINK,
  zipFailure,
} from "./failures";
import {
  decodePath,
  type PackageKind,
  readScormManifest,
  readTincanManifest,
  resolveLaunchHref,
} from "./manifest";
import { courseCodeFor, type ToolDefault } from "./tool-defaults";
import {
  hasEncryptionFlag,
  inflateEntry,
  isSymlink,
  isUnsafeEntryName,
  readCentralDirectory,
  readLocalHeader,
  type ZipEntry,
  ZipError,
} from "./zip";

export type { PackageFailure } from "./failures";
export { formatSize } from "./failures";
export type { PackageKind } from "./manifest";

/** Safety limits for {@link inspectPackage}; omitted fields use {@link DEFAULT_PACKAGE_LIMITS}. */
export interface PackageLimits {
  /** Largest accepted upload, in bytes. */
  maxArchiveBytes?: number;
  /** Largest accepted sum of declared uncompressed sizes, in bytes. */
  maxUncompressedBytes?: number;
  /** Most entries (files and folders) accepted. */
  maxEntries?: number;
  /** Largest accepted ratio of total uncompressed size to archive size. */
  maxCompressionRatio?: number;
  /** Largest accepted manifest (uncompressed), in bytes. */
  maxManifestBytes?: number;
}

const MIB = 1024 * 1024;

/** Defaults: 200 MiB archive, 1 GiB uncompressed, 10,000 entries, 100:1 ratio, 5 MiB manifest. */
export const DEFAULT_PACKAGE_LIMITS: Readonly<Required<PackageLimits>> = Object.freeze({
  maxArchiveBytes: 200 * MIB,
  maxUncompressedBytes: 1024 * MIB,
  maxEntries: 10_000,
  maxCompressionRatio: 100,
  maxManifestBytes: 5 * MIB,
});

/** A package that passed inspection. */
export interface PackageInfo {
  ok: true;
  kind: PackageKind;
  /**
   * Course code: the SCORM manifest identifier or the xAPI activity id; for an authoring tool's default
   * identifier, that identifier with the title or file name (see tool-defaults.ts).
   */
  code: string;
  /** Set when the identifier is an authoring tool's default and the code was made as above. */
  toolDefault: ToolDefault | null;
  title: string;
  /** Path of the launch file inside the archive (query string and fragment removed). */
  launchPath: string;
  /** Number of files (folders excluded). */
  fileCount: number;
  /** Sum of declared uncompressed sizes, in bytes. */
  uncompressedBytes: number;
}

/** Result of {@link inspectPackage}. */
export type PackageResult = PackageInfo | PackageFailure;

const MANIFESTS = ["imsmanifest.xml", "tincan.xml"] as const;

function findNestedManifest(entries: readonly ZipEntry[]): string | undefined {
  return entries.find((entry) => {
    const parts = entry.name.replace(/\\/g, "/").split("/");
    const base = (parts.at(-1) ?? "").toLowerCase();
    return parts[0] !== "__MACOSX" && (MANIFESTS as readonly string[]).includes(base);
  })?.name;
}

/** Checks every entry's record; returns a failure or the sum of declared uncompressed sizes. */
function checkEntries(bytes: Uint8Array, entries: readonly ZipEntry[]): PackageFailure | number {
  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    if (isUnsafeEntryName(entry.name)) {
      return fail(
        `The package contains a file with an unsafe location (“${entry.name}”) that could overwrite files outside the course.`,
        DO_NOT_USE,
      );
    }
    if (isSymlink(entry)) {
      return fail(
        `The package contains a symbolic link (“${entry.name}”), which is not allowed.`,
        "Replace links with the real files, zip the course again and upload the new package.",
      );
    }
    const local = readLocalHeader(bytes, entry);
    if (hasEncryptionFlag(entry.flags) || hasEncryptionFlag(local.flags)) {
      return fail(
        `The package contains password-protected (encrypted) files, for example “${entry.name}”.`,
        "Export or zip the course again without a password or encryption and upload the new package.",
      );
    }
    if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) {
      throw new ZipError("sizeMismatch", `stored entry ${entry.name} has differing sizes`);
    }
    const key = entry.name.replace(/\\/g, "/");
    if (seen.has(key)) {
      return fail(`The package contains the file “${entry.name}” more than once.`, REDOWNLOAD);
    }
    seen.add(key);
    total += entry.uncompressedSize;
  }
  return total;
}

/**
 * Inspects an uploaded package without extracting it. Never throws for bad input:
 * every problem comes back as `{ ok: false, issue, resolution }` for the admin.
 */
export function inspectPackage(fileName: string, bytes: Uint8Array, limits?: PackageLimits): PackageResult {
  const lim: Required<PackageLimits> = { ...DEFAULT_PACKAGE_LIMITS, ...limits };
  if (bytes.length === 0) return fail("The file is empty.", REEXPORT);
  if (bytes.length > lim.maxArchiveBytes) {
    return fail(
      `The package is ${formatSize(bytes.length)}, more than the ${formatSize(lim.maxArchiveBytes)} limit.`,
      SHRINK,
    );
  }
  try {
    return inspectZip(fileName, bytes, lim);
  } catch (error) {
    if (error instanceof ZipError) return zipFailure(error, lim.maxEntries);
    throw error;
  }
}

function inspectZip(fileName: string, bytes: Uint8Array, lim: Required<PackageLimits>): PackageResult {
  const entries = readCentralDirectory(bytes, lim.maxEntries);
  const total = checkEntries(bytes, entries);
  if (typeof total !== "number") return total;
  if (total > lim.maxUncompressedBytes) {
    return fail(`The package unpacks to more than ${formatSize(lim.maxUncompressedBytes)}.`, SHRINK);
  }
  if (total / bytes.length > lim.maxCompressionRatio) {
    return fail(
      "The package claims to unpack to far more data than its size allows, which is the sign of a harmful “zip bomb”.",
      DO_NOT_USE,
    );
  }

  const byName = new Map(entries.filter((e) => !e.isDirectory).map((e) => [e.name.replace(/\\/g, "/"), e]));
  const rootName = (wanted: string) => [...byName.keys()].find((name) => name.toLowerCase() === wanted);
  const scormName = rootName("imsmanifest.xml");
  const manifestName = scormName ?? rootName("tincan.xml");
  const manifestEntry = manifestName === undefined ? undefined : byName.get(manifestName);
  if (!manifestName || !manifestEntry) {
    const nested = findNestedManifest(entries);
    if (nested) {
      return fail(
        `The course manifest is inside a folder (“${nested}”) instead of at the top level of the zip.`,
        "Open the folder, select everything inside it, zip those files directly (so the manifest is at the top level) and upload the new zip.",
      );
    }
    return (
      otherFormat([...byName.keys()]) ??
      fail(
        "The package has no imsmanifest.xml (SCORM) or tincan.xml (xAPI) file at its top level, so it is not a SCORM or xAPI course.",
        REEXPORT,
      )
    );
  }
  if (manifestEntry.uncompressedSize > lim.maxManifestBytes) {
    return fail(
      `The manifest ${manifestName} is larger than ${formatSize(lim.maxManifestBytes)}.`,
      FIX_MANIFEST,
    );
  }
  if (manifestEntry.method !== 0 && manifestEntry.method !== 8) {
    return fail(
      `The manifest ${manifestName} is compressed with a method this portal cannot read.`,
      "Create the zip again with standard (deflate) compression and upload the new file.",
    );
  }

  const text = decodeText(inflateEntry(bytes, manifestEntry, lim.maxManifestBytes));
  const read = scormName ? readScormManifest(text) : readTincanManifest(text);
  if (!read.ok) return manifestFailure(read.problem, manifestName, read.line);
  const { info } = read;

  if (isAbsoluteUrl(info.launchHref)) return hostedElsewhere(info.launchHref);
  const resolved = resolveLaunchHref(info.launchHref);
  const launchPath = [resolved, resolved && decodePath(resolved)].find(
    (candidate): candidate is string => !!candidate && byName.has(candidate),
  );
  if (!launchPath) {
    return fail(
      `The manifest says the course starts with “${info.launchHref}”, but that file is not in the package.`,
      "Export the package again and make sure all course files are included, then upload the new zip.",
    );
  }
  const { code, toolDefault } = courseCodeFor(info.code, info.title, fileName);
  return {
    ok: true,
    kind: info.kind,
    code,
    toolDefault,
    title: info.title || fileName.replace(/\.[^.]*$/, "") || info.code,
    launchPath,
    fileCount: byName.size,
    uncompressedBytes: total,
  };
}

/** `https://cdn.example/course/index.html`, `//cdn.example/…`: content hosted elsewhere, not in the package. */
function isAbsoluteUrl(href: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(href.trim()) || /^[\\/]{2}/.test(href.trim());
}

/** Decodes manifest bytes honouring a UTF-16 byte-order mark; UTF-8 otherwise. */
function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return new TextDecoder("utf-8").decode(bytes);
}
