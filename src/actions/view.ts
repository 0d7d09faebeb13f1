/**
 * The action as every endpoint and stream event shows it (CONTRACT.md "Resources").
 * Built from a snapshot: either a row of `actions` or the JSON the event trigger wrote.
 */
import type * as v from "valibot";
import { type ActionType, type Role, type Status, statusLabel, typeLabel } from "./model";
import { FILE_TYPES, SINGLE_FILE_TYPES } from "./params";
import { type StoredTimelineEntry, timelineView } from "./timeline";
import type { ActionViewSchema } from "./view-schema";

/** The columns of `actions` that the public view needs (the event trigger writes exactly these). */
export interface ActionSnapshot {
  id: number;
  referenceId: string;
  taskId: string | null;
  step: number;
  steps: number;
  portalId: string;
  requesterId: string;
  requesterName: string;
  requesterEmail: string;
  requesterRole: string;
  type: string;
  status: string;
  fileName: string | null;
  total: number;
  processed: number;
  succeeded: number;
  errors: number;
  warnings: number;
  failureReason: string | null;
  createdAt: number;
  scheduledFor: number | null;
  startedAt: number | null;
  completedAt: number | null;
  reportRows: number;
  reportExpiresAt: number | null;
  reportExpired: number;
  dryRun: number;
  retryOf: string | null;
  /** JSON text in the row, the array itself in an event snapshot (see timeline.ts). */
  timeline: string | StoredTimelineEntry[];
  /**
   * Non-null when a CSV upload's shape was kept, so its failed rows can be given back (the row holds the
   * shape; an event snapshot holds '' for it, as the view needs only to know).
   */
  source: string | null;
  version: number;
}

/** The public JSON of an action: its type follows from the schema that documents it (view-schema.ts). */
export type ActionView = v.InferOutput<typeof ActionViewSchema>;

/** One page of `GET /v1/actions`, newest first; `nextCursor` fetches the next page (null on the last). */
export interface ActionPage {
  items: ActionView[];
  nextCursor: string | null;
}

const iso = (ms: number | null): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

type Named = Pick<ActionSnapshot, "fileName" | "type" | "referenceId">;

/** The upload's name without its extension; without an upload, a name from type and reference. */
function baseName(action: Named): string {
  if (action.fileName) return action.fileName.replace(/\.[^./\\]*$/, "") || action.fileName;
  return `${action.type.replace(/_/g, "-")}-${action.referenceId}`;
}

/** `spring-hires.csv` → `spring-hires-errors.csv`. */
export function reportFileName(action: Named): string {
  return `${baseName(action)}-errors.csv`;
}

/** Extensions a file of failed rows keeps from its upload, so it opens as the upload did. */
const KEPT_EXTENSIONS = /\.(csv|txt|tsv)$/i;

/**
 * `spring-hires.csv` → `spring-hires-to-fix.csv`. An upload saved as `.txt` or `.tsv` (Excel's "Unicode
 * Text" is UTF-16 with TABs, saved as `.txt`) keeps its extension, since the file keeps its dialect and
 * Excel opens a `.txt` through its import wizard with TAB already chosen; anything else gets `.csv`.
 */
export function failedRowsFileName(action: Named): string {
  const extension = action.fileName ? KEPT_EXTENSIONS.exec(action.fileName)?.[0] : undefined;
  return `${baseName(action)}-to-fix${extension ?? ".csv"}`;
}

/**
 * Whether the action has Error rows whose input can be given back: a CSV upload's rows as uploaded (its
 * shape kept: not for actions older than this feature), or a package upload's failed packages. The other
 * types take no file, so there is nothing of the person's to return.
 */
export function hasFailedRows(a: Pick<ActionSnapshot, "errors" | "type" | "source">): boolean {
  const type = a.type as ActionType;
  if (a.errors === 0 || !FILE_TYPES.has(type)) return false;
  // The single-file types are the CSV uploads; the others upload packages.
  return !SINGLE_FILE_TYPES.has(type) || a.source !== null;
}

/** A download of the action (report or failed rows), kept and expired with its report. */
function download(a: ActionSnapshot, name: string, path: string) {
  return {
    name,
    url: `/v1/actions/${a.referenceId}/${path}`,
    expiresAt: iso(a.reportExpiresAt),
    expired: a.reportExpired === 1,
  };
}

export function toView(a: ActionSnapshot): ActionView {
  return {
    referenceId: a.referenceId,
    taskId: a.taskId,
    step: a.step,
    steps: a.steps,
    type: a.type as ActionType,
    typeLabel: typeLabel(a.type),
    status: a.status as Status,
    statusLabel: statusLabel(a.status),
    requester: {
      id: a.requesterId,
      name: a.requesterName,
      email: a.requesterEmail,
      role: a.requesterRole as Role,
    },
    fileName: a.fileName,
    progress: {
      total: a.total,
      processed: a.processed,
      succeeded: a.succeeded,
      errors: a.errors,
      warnings: a.warnings,
    },
    failureReason: a.failureReason,
    createdAt: iso(a.createdAt)!,
    scheduledFor: iso(a.scheduledFor),
    startedAt: iso(a.startedAt),
    completedAt: iso(a.completedAt),
    errorReport: a.reportRows > 0 ? download(a, reportFileName(a), "error-report") : null,
    failedRows: hasFailedRows(a) ? download(a, failedRowsFileName(a), "failed-rows") : null,
    dryRun: a.dryRun === 1,
    retryOf: a.retryOf ?? null,
    timeline: timelineView(a.timeline),
    version: a.version,
  };
}
