/**
 * `content_upload`: one course per uploaded SCORM 1.2 / SCORM 2004 / xAPI package. Each `file` part is
 * stored in the blob store at submission (one file's bytes at a time) and staged as one item; the worker
 * inspects each package (zip safety, manifest, launch file) and creates the course, or writes that
 * package's Error row. A bad package never fails the upload as a whole.
 *
 * A package whose code is already a course of the portal is an Error, not an update: replacing content
 * is `content_replace`, which checks first and keeps a record of what it replaced. Uploading the same
 * file twice is therefore harmless. A package whose identifier is an authoring tool's default gets a code
 * made from its title or file name (src/content/tool-defaults.ts), and a Warning that says so.
 *
 * The helpers exported here (staging, inspection, blob keys) are shared with `content_replace`.
 */

import type { BlobStore } from "../../content/blob-store";
import { formatSize, inspectPackage, type PackageInfo } from "../../content/package";
import { toolDefaultWarning } from "../../content/tool-defaults";
import { safeFileName } from "../../lib/file-name";
import type { ActionHandler, IntakeContext, ReportLine, StagedItem, Stager } from "../handler";
import { type CourseContent, createCoursesStatement, findCourse } from "../portal-data/courses";
import type { UploadedFile } from "../submission";

/** A staged package: where its bytes wait and what the report calls it. */
export interface PackageItem {
  /** 1-based position in the upload: the report's Row. */
  position: number;
  /** The report's Identifier. */
  fileName: string;
  /** Blob key of the uploaded bytes; null when the file was over the size limit and so not stored. */
  key: string | null;
  size: number;
  /** The size limit it was over (only when `key` is null). */
  limit?: number;
}

/** Longest course code other actions can name (their `course`/`courses` params allow 200 characters). */
export const MAX_CODE_LENGTH = 200;

/** Where a package waits between submission and the end of the action: derivable, so cleanup needs no list. */
export function uploadKey(actionId: number, position: number): string {
  return `uploads/${actionId}/${position}.zip`;
}

/** Stores each uploaded file and stages it; a file over the limit is staged unstored (its Error comes later). */
export async function stagePackages(
  ctx: IntakeContext,
  files: readonly UploadedFile[],
  stager: Stager,
): Promise<PackageItem[]> {
  const items: PackageItem[] = [];
  for (const [index, file] of files.entries()) {
    const position = index + 1;
    const fileName = safeFileName(file.name);
    let item: PackageItem;
    if (file.size > ctx.maxFileBytes) {
      item = { position, fileName, key: null, size: file.size, limit: ctx.maxFileBytes };
    } else {
      const key = uploadKey(ctx.actionId, position);
      await ctx.blobs.put(key, new Uint8Array(await file.arrayBuffer()));
      item = { position, fileName, key, size: file.size };
    }
    await stager.add(item);
    items.push(item);
  }
  return items;
}

/** An Error report line for one package. */
export function packageError(item: PackageItem, issue: string, resolution: string): ReportLine {
  return { row: item.position, status: "Error", identifier: item.fileName, issue, resolution };
}

/** A Warning report line for one package. */
export function packageWarning(
  item: PackageItem,
  problem: { issue: string; resolution: string },
): ReportLine {
  return { row: item.position, status: "Warning", identifier: item.fileName, ...problem };
}

export type CheckedPackage =
  | { ok: true; info: PackageInfo; bytes: Uint8Array }
  | { ok: false; line: ReportLine };

/** Reads a staged package back and inspects it; every problem becomes that package's Error line. */
export async function checkPackage(blobs: BlobStore, item: PackageItem): Promise<CheckedPackage> {
  if (item.key === null) {
    const line = packageError(
      item,
      `The package is ${formatSize(item.size)}, more than the ${formatSize(item.limit ?? 0)} limit for one file.`,
      "Remove unused media from the course (or compress its videos), export it again and upload the smaller package.",
    );
    return { ok: false, line };
  }
  const bytes = await blobs.get(item.key);
  if (!bytes) return { ok: false, line: lostUpload(item) };
  const info = inspectPackage(item.fileName, bytes);
  if (!info.ok) return { ok: false, line: packageError(item, info.issue, info.resolution) };
  if (info.code.length > MAX_CODE_LENGTH) {
    const line = packageError(
      item,
      `The course identifier in the manifest is ${info.code.length} characters long; at most ${MAX_CODE_LENGTH} are allowed.`,
      "Give the course a shorter identifier in your authoring tool, export it again and upload the new package.",
    );
    return { ok: false, line };
  }
  return { ok: true, info, bytes };
}

/** The upload is gone from storage (cleaned up after an interrupted run): say so rather than crash. */
export function lostUpload(item: PackageItem): ReportLine {
  return packageError(
    item,
    "The uploaded file is no longer available on the server, so it could not be processed.",
    "Upload this package again.",
  );
}

/** A blob-key segment for any text: readable where it can be, unique through a hash of the text. */
async function keySegment(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hash = [...new Uint8Array(digest).subarray(0, 6)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  const readable = text
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 48);
  return readable ? `${readable}-${hash}` : hash;
}

/**
 * The permanent key of a course's package version. The action's reference makes it unique, so two
 * actions never overwrite each other's bytes, and a slice re-run after a crash rewrites the same key.
 */
export async function packageKey(
  portalId: string,
  code: string,
  version: number,
  referenceId: string,
): Promise<string> {
  return `packages/${await keySegment(portalId)}/${await keySegment(code)}/v${version}-${referenceId}.zip`;
}

/** Deletes the action's upload blobs (positions 1…total); missing ones are fine. */
export async function deleteUploads(blobs: BlobStore, actionId: number, total: number): Promise<void> {
  for (let position = 1; position <= total; position++) await blobs.delete(uploadKey(actionId, position));
}

export const contentUpload: ActionHandler = {
  async stageFiles(ctx, submission, stager) {
    await stagePackages(ctx, submission.files, stager);
  },

  async apply(ctx, items) {
    const { db, action } = ctx;
    const report: ReportLine[] = [];
    let warnings = 0;
    const created: CourseContent[] = [];
    // Codes created by earlier packages of this upload (earlier slices included), for a clear duplicate error.
    const createdBy: Record<string, number> = { ...(ctx.state.createdBy as Record<string, number>) };
    for (const { item } of items as StagedItem<PackageItem>[]) {
      const checked = await checkPackage(ctx.blobs, item);
      if (!checked.ok) {
        report.push(checked.line);
        continue;
      }
      const { code, title, kind, launchPath, toolDefault } = checked.info;
      const earlier = createdBy[code];
      if (earlier !== undefined) {
        report.push(
          packageError(
            item,
            `Package ${earlier} of this upload already creates the course “${code}”.`,
            "Upload each course once. If this file is a newer version, upload it afterwards with a content replacement.",
          ),
        );
        continue;
      }
      if (await findCourse(db, action.portalId, code)) {
        report.push(
          packageError(
            item,
            `A course with the code “${code}” already exists in this portal.`,
            "To update that course's content, upload this package with a content replacement instead. To add it as a separate course, give it a different identifier in your authoring tool and export it again.",
          ),
        );
        continue;
      }
      const key = await packageKey(action.portalId, code, 1, action.referenceId);
      await ctx.blobs.put(key, checked.bytes);
      created.push({ code, title, kind, launchPath, packageKey: key });
      createdBy[code] = item.position;
      if (toolDefault) {
        warnings++;
        report.push(packageWarning(item, toolDefaultWarning(code, toolDefault)));
      }
    }
    return {
      statements: created.length ? [createCoursesStatement(db, action.portalId, ctx.now, created)] : [],
      report,
      errors: report.length - warnings,
      warnings,
      state: { ...ctx.state, createdBy },
    };
  },

  /** The uploads are no longer needed: each created course has its own copy under `packages/`. */
  async afterEnd(ctx) {
    await deleteUploads(ctx.blobs, ctx.action.id, ctx.action.total);
  },
};
