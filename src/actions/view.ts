/**
 * The action as every endpoint and stream event shows it (CONTRACT.md "Resources").
 * Built from a snapshot: either a row of `actions` or the JSON the event trigger wrote.
 */
import type * as v from "valibot";
import { type ActionType, type Role, type Status, statusLabel, typeLabel } from "./model";
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

/** `spring-hires.csv` → `spring-hires-errors.csv`; without an upload, a name from type and reference. */
export function reportFileName(action: Pick<ActionSnapshot, "fileName" | "type" | "referenceId">): string {
  if (action.fileName) {
    const base = action.fileName.replace(/\.[^./\\]*$/, "") || action.fileName;
    return `${base}-errors.csv`;
  }
  return `${action.type.replace(/_/g, "-")}-${action.referenceId}-errors.csv`;
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
    errorReport:
      a.reportRows > 0
        ? {
            name: reportFileName(a),
            url: `/v1/actions/${a.referenceId}/error-report`,
            expiresAt: iso(a.reportExpiresAt),
            expired: a.reportExpired === 1,
          }
        : null,
    version: a.version,
  };
}
