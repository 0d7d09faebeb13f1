/**
 * What a request to start an action may carry, as valibot schemas. They validate the requests and
 * generate the OpenAPI document, so the two never disagree.
 */
import * as v from "valibot";
import { isCronPattern } from "../lib/cron";
import { ACTION_TYPES, type ActionType, STATUSES } from "./model";

/** Counted before trimming and refused when blank, so the OpenAPI document (maxLength, pattern) says exactly this. */
const text200 = v.pipe(v.string(), v.maxLength(200), v.regex(/\S/, "must not be empty"), v.trim());
const name = text200;
const code = text200;
/** RFC 3339 date and time, as the document says (`format: date-time`). */
export const isoDateTime = v.pipe(
  v.string(),
  v.isoTimestamp("must be an ISO 8601 date and time such as 2026-03-01T09:00:00Z"),
);
const score = v.pipe(
  v.number(),
  v.minValue(0, "must be between 0 and 100"),
  v.maxValue(100, "must be between 0 and 100"),
);

const rule = v.object({
  attribute: v.picklist(["department", "role", "emailDomain"], "must be department, role or emailDomain"),
  operator: v.picklist(["equals", "notEquals", "contains"], "must be equals, notEquals or contains"),
  value: v.pipe(v.string(), v.maxLength(200)),
});

/** The most items a list param may hold (also what a multipart field is split into, at most). */
export const MAX_LIST_ITEMS = 500;

/**
 * A list whose length is checked before its items: valibot checks every item of `v.array` before a pipe's
 * `maxLength`, so a body of 100,000 wrong items made 100,000 problems. Here the items are looked at only
 * once the list is known to be short enough.
 */
const listOf = (item: v.GenericSchema<unknown, string>, what: string) =>
  v.pipe(
    v.array(v.unknown()),
    v.minLength(1, `must name at least one ${what}`),
    v.maxLength(MAX_LIST_ITEMS, `must name at most ${MAX_LIST_ITEMS} ${what}s`),
    v.array(item),
  );

const cronPattern = v.pipe(
  v.string(),
  v.maxLength(200),
  v.check(isCronPattern, "must be a cron pattern such as 0 9 * * 1"),
  v.description("A croner pattern (5 or 6 fields, UTC), such as `0 9 * * 1`."),
);

const noParams = v.object({});

/** The params each type takes (file types take their input as uploaded files instead). */
export const PARAMS_SCHEMAS = {
  user_upload: noParams,
  content_upload: noParams,
  content_replace: noParams,
  history_migration: noParams,
  group_enroll: v.object({
    group: name,
    courses: listOf(code, "course"),
    dueDate: v.optional(isoDateTime),
  }),
  group_unenroll: v.object({
    group: name,
    courses: listOf(code, "course"),
  }),
  group_mark_complete: v.object({
    group: name,
    course: code,
    completedAt: v.optional(isoDateTime),
    score: v.optional(score),
  }),
  dynamic_rule_start: v.object({ group: name, rule }),
  dynamic_rule_change: v.object({ group: name, rule }),
  reminder_send: v.object({
    course: code,
    message: v.optional(v.pipe(v.string(), v.maxLength(2000))),
    recurrence: v.optional(cronPattern),
  }),
} satisfies Record<ActionType, v.GenericSchema>;

export type ParamsOf<T extends ActionType> = v.InferOutput<(typeof PARAMS_SCHEMAS)[T]>;

/** Types whose input is one or more uploaded files (multipart/form-data). */
export const FILE_TYPES: ReadonlySet<ActionType> = new Set([
  "user_upload",
  "content_upload",
  "content_replace",
  "history_migration",
]);

/** Types that take exactly one file (a CSV); the others take one or more packages. */
export const SINGLE_FILE_TYPES: ReadonlySet<ActionType> = new Set(["user_upload", "history_migration"]);

/** A reference ID as a person may type it (any case; O for 0, I and L for 1): read by normalizeReferenceId. */
const referenceText = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9-]{1,40}$/, "must be a reference ID such as BA-7K3Q9X2M"),
  v.metadata({ examples: ["BA-7K3Q9X2M"] }),
);

/** `retryOf` of a request: one of the requester's own actions, of the same type. */
export const retryOfField = v.pipe(
  referenceText,
  v.description(
    "The reference ID of one of your own actions, of the same type, that this one retries (its failed rows, fixed).",
  ),
);

const DRY_RUN = "Judge and report every row against the portal's data as it is now, and change nothing.";

/** The JSON body of `POST /v1/actions`. */
export const JsonSubmission = v.object({
  type: v.picklist(ACTION_TYPES, `must be one of: ${ACTION_TYPES.join(", ")}`),
  params: v.optional(v.record(v.string(), v.unknown()), {}),
  scheduledFor: v.optional(v.nullable(isoDateTime)),
  notify: v.optional(v.boolean()),
  dryRun: v.optional(v.pipe(v.boolean(), v.description(DRY_RUN))),
  retryOf: v.optional(v.nullable(retryOfField)),
});

/** The text fields of a multipart `POST /v1/actions` (files come as `file` parts). */
export const MultipartSubmission = v.object({
  type: v.picklist(ACTION_TYPES, `must be one of: ${ACTION_TYPES.join(", ")}`),
  file: v.optional(v.unknown()),
  scheduledFor: v.optional(isoDateTime),
  notify: v.optional(v.picklist(["true", "false"], "must be true or false")),
  dryRun: v.optional(v.pipe(v.picklist(["true", "false"], "must be true or false"), v.description(DRY_RUN))),
  retryOf: v.optional(retryOfField),
});

/** The `limit` of a paged list: 1 to 200, `fallback` when absent. */
export const pageLimit = (fallback: number) =>
  v.optional(
    v.pipe(
      v.number("must be a whole number"),
      v.integer("must be a whole number"),
      v.minValue(1, "must be between 1 and 200"),
      v.maxValue(200, "must be between 1 and 200"),
      v.description("Page size."),
    ),
    fallback,
  );

/** The `cursor` of a paged list: `nextCursor` of the previous page, opaque. */
export const pageCursor = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]{1,40}$/, "is not a cursor from this API"),
    v.description("`nextCursor` of the previous page."),
  ),
);

/**
 * Query of `GET /v1/actions`, as values: the route table reads the query string into them (lists are
 * comma-separated, `style: form, explode: false`; numbers are numbers), so the document says the same.
 */
export const ListQuerySchema = v.object({
  status: v.optional(
    v.pipe(
      v.array(v.picklist(STATUSES, `must be among: ${STATUSES.join(", ")}`)),
      v.description("Only actions in these statuses (comma-separated)."),
    ),
    [],
  ),
  type: v.optional(
    v.pipe(
      v.array(v.picklist(ACTION_TYPES, `must be among: ${ACTION_TYPES.join(", ")}`)),
      v.description("Only actions of these types (comma-separated)."),
    ),
    [],
  ),
  limit: pageLimit(50),
  cursor: pageCursor,
  retryOf: v.optional(
    v.pipe(referenceText, v.description("Only the actions that retry this one (its reference ID).")),
  ),
});

/** Turns valibot issues into the problem+json `errors` list (`path` in dotted form). */
export function issuesToProblems(
  issues: readonly v.BaseIssue<unknown>[],
  prefix = "",
): { path: string; message: string }[] {
  return issues.map((issue) => {
    const path = [prefix, ...(issue.path ?? []).map((p) => String(p.key))].filter(Boolean).join(".");
    const message =
      issue.received === "undefined"
        ? "is required"
        : issue.message.startsWith("Invalid type")
          ? `must be ${issue.expected ?? "of another type"}`
          : issue.message;
    return { path: path || "(body)", message: path ? `${path} ${message}` : message };
  });
}
