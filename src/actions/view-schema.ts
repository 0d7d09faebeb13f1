/**
 * The action's public JSON as a valibot schema: the OpenAPI document's `Action` is generated from it,
 * `ActionView` (view.ts) is its type, and the contract tests check every answer against it, so the
 * three cannot disagree. A field added to the view is added here, once.
 */
import * as v from "valibot";
import { ACTION_TYPES, ROLES, STATUSES } from "./model";
import { TIMELINE_CAUSES } from "./timeline";

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const instant = v.pipe(v.string(), v.isoTimestamp());
const nullableInstant = v.nullable(instant);

export const REFERENCE_PATTERN = /^BA-[0-9A-HJKMNP-TV-Z]{8}$/;

export const EXAMPLE_ACTION = {
  referenceId: "BA-7K3Q9X2M",
  taskId: null,
  step: 1,
  steps: 1,
  type: "user_upload",
  typeLabel: "User upload",
  status: "completed_with_errors",
  statusLabel: "Completed with errors",
  requester: { id: "u-1", name: "Ada Admin", email: "ada@example.com", role: "admin" },
  fileName: "users.csv",
  progress: { total: 100, processed: 100, succeeded: 98, errors: 2, warnings: 1 },
  failureReason: null,
  createdAt: "2026-03-01T09:00:00.000Z",
  scheduledFor: null,
  startedAt: "2026-03-01T09:00:01.000Z",
  completedAt: "2026-03-01T09:00:04.000Z",
  errorReport: {
    name: "users-errors.csv",
    url: "/v1/actions/BA-7K3Q9X2M/error-report",
    expiresAt: "2026-03-08T09:00:04.000Z",
    expired: false,
  },
  failedRows: {
    name: "users-to-fix.csv",
    url: "/v1/actions/BA-7K3Q9X2M/failed-rows",
    expiresAt: "2026-03-08T09:00:04.000Z",
    expired: false,
  },
  dryRun: false,
  retryOf: null,
  timeline: [
    { status: "not_started", at: "2026-03-01T09:00:00.000Z", by: "requester", note: null },
    { status: "in_progress", at: "2026-03-01T09:00:01.000Z", by: "worker", note: null },
    { status: "completed_with_errors", at: "2026-03-01T09:00:04.000Z", by: "worker", note: null },
  ],
  version: 7,
} as const;

/** A file the action offers, kept for REPORT_RETENTION after the action ends, then `expired`. */
const Download = v.strictObject({
  name: v.string(),
  url: v.string(),
  expiresAt: nullableInstant,
  expired: v.boolean(),
});

const TimelineEntrySchema = v.pipe(
  v.strictObject({
    status: v.picklist(STATUSES),
    at: instant,
    by: v.pipe(
      v.picklist(TIMELINE_CAUSES),
      v.description(
        "`requester`: a request (start, cancel); `worker`: the engine; `clock`: a schedule's time or a time limit.",
      ),
    ),
    note: v.pipe(
      v.nullable(v.string()),
      v.description("What else matters, e.g. a worker resuming the action after its lease ran out."),
    ),
  }),
  v.title("TimelineEntry"),
);

export const ActionViewSchema = v.pipe(
  v.strictObject({
    referenceId: v.pipe(v.string(), v.regex(REFERENCE_PATTERN)),
    taskId: v.pipe(
      v.nullable(v.pipe(v.string(), v.regex(/^T-[0-9A-HJKMNP-TV-Z]{10}$/))),
      v.description("Shared by the actions of one task (a replacement's two steps); else null."),
    ),
    step: v.pipe(v.number(), v.integer(), v.minValue(1)),
    steps: v.pipe(v.number(), v.integer(), v.minValue(1)),
    type: v.picklist(ACTION_TYPES),
    typeLabel: v.string(),
    status: v.picklist(STATUSES),
    statusLabel: v.string(),
    requester: v.strictObject({
      id: v.string(),
      name: v.string(),
      email: v.string(),
      role: v.picklist(ROLES),
    }),
    fileName: v.pipe(
      v.nullable(v.string()),
      v.description("The uploaded file's name; null without an upload."),
    ),
    progress: v.pipe(
      v.strictObject({
        total: count,
        processed: count,
        succeeded: count,
        errors: count,
        warnings: count,
      }),
      v.description("`processed = succeeded + errors`; rows with a Warning count as succeeded."),
    ),
    failureReason: v.pipe(v.nullable(v.string()), v.description("A sentence when failed or timed out.")),
    createdAt: instant,
    scheduledFor: nullableInstant,
    startedAt: nullableInstant,
    completedAt: nullableInstant,
    errorReport: v.nullable(Download),
    failedRows: v.pipe(
      v.nullable(Download),
      v.description(
        "The rows that had an Error, as uploaded plus `Issue` and `Resolution` (CSV uploads), or the packages that failed; null without any.",
      ),
    ),
    dryRun: v.pipe(v.boolean(), v.description("A dry run: every row judged and reported, nothing changed.")),
    retryOf: v.pipe(
      v.nullable(v.pipe(v.string(), v.regex(REFERENCE_PATTERN))),
      v.description("The reference ID of the action this one retries; else null."),
    ),
    timeline: v.pipe(
      v.array(TimelineEntrySchema),
      v.description(
        "Each status change in order, with its time and cause, and each resume by another worker.",
      ),
    ),
    version: v.pipe(v.number(), v.integer(), v.minValue(0), v.description("Grows with every change.")),
  }),
  v.title("Action"),
  v.description("A bulk action, as every endpoint and stream event shows it."),
  v.metadata({ examples: [EXAMPLE_ACTION] }),
);
