/**
 * The whole database, one Drizzle schema shared by libSQL (Bun) and D1 (the edge).
 * Times are integer milliseconds since the epoch (UTC); JSON is stored as text.
 * Triggers that keep the event log honest live in a custom migration (see migrations/).
 */
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** One row per bulk action: what the tracker shows plus the engine's bookkeeping. */
export const actions = sqliteTable(
  "actions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    referenceId: text("reference_id").notNull(),
    taskId: text("task_id"),
    step: integer("step").notNull().default(1),
    steps: integer("steps").notNull().default(1),
    portalId: text("portal_id").notNull(),
    requesterId: text("requester_id").notNull(),
    requesterName: text("requester_name").notNull(),
    requesterEmail: text("requester_email").notNull(),
    requesterRole: text("requester_role").notNull(),
    type: text("type").notNull(),
    status: text("status").notNull(),
    fileName: text("file_name"),
    params: text("params").notNull().default("{}"),
    notify: integer("notify").notNull().default(1),
    total: integer("total").notNull().default(0),
    processed: integer("processed").notNull().default(0),
    succeeded: integer("succeeded").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    warnings: integer("warnings").notNull().default(0),
    failureReason: text("failure_reason"),
    createdAt: integer("created_at").notNull(),
    scheduledFor: integer("scheduled_for"),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    /** Rows in report_rows for this action; a report exists when > 0. */
    reportRows: integer("report_rows").notNull().default(0),
    reportExpiresAt: integer("report_expires_at"),
    reportExpired: integer("report_expired").notNull().default(0),
    /** Grows with every visible change; the event trigger fires on it. */
    version: integer("version").notNull().default(1),
    idempotencyKey: text("idempotency_key"),
    /** Engine: when the action may be claimed (null while its input is still being staged). */
    runAt: integer("run_at"),
    /** Engine: another action that must end first (step 2 of a task waits for step 1). */
    waitFor: integer("wait_for"),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: integer("lease_expires_at"),
    attempts: integer("attempts").notNull().default(0),
    /** Engine: the next input position to process (row index or item index). */
    checkpoint: integer("checkpoint").notNull().default(0),
    /**
     * Engine: counters of committed slices not shown yet (JSON). Slices commit often to keep write locks
     * short; the visible counters, `version` and the progress event move about once a second.
     */
    unpublished: text("unpublished"),
    /** Engine: handler-owned state that must survive a crash (JSON). */
    state: text("state").notNull().default("{}"),
    /** 1: every row is judged and reported, nothing is changed (a dry run). */
    dryRun: integer("dry_run").notNull().default(0),
    /** The reference ID of the requester's own action that this one retries (its failed rows, fixed). */
    retryOf: text("retry_of"),
    /**
     * The action's story (JSON array of { status, at, by, note }): each status change and each resume,
     * appended by the statement that makes it, so every event snapshot carries it (src/actions/timeline.ts).
     */
    timeline: text("timeline").notNull().default("[]"),
    /**
     * A CSV upload's own shape (JSON { header, encoding, bom, delimiter, lineEnding }): its header row as
     * written, to give its failed rows back in the same dialect. Null for other types.
     */
    source: text("source"),
  },
  (t) => [
    uniqueIndex("actions_reference_id").on(t.referenceId),
    index("actions_owner_list").on(t.portalId, t.requesterId, t.id),
    uniqueIndex("actions_idempotency").on(t.portalId, t.requesterId, t.idempotencyKey),
    index("actions_due").on(t.status, t.runAt),
    index("actions_report_expiry").on(t.reportExpired, t.reportExpiresAt),
    index("actions_retry_of").on(t.retryOf),
  ],
);

/** Append-only log of action changes, written by a trigger in the same transaction as the change. */
export const actionEvents = sqliteTable(
  "action_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actionId: integer("action_id").notNull(),
    portalId: text("portal_id").notNull(),
    requesterId: text("requester_id").notNull(),
    kind: text("kind").notNull(),
    version: integer("version").notNull(),
    /** JSON snapshot of the actions row (its column names in camelCase). */
    snapshot: text("snapshot").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("action_events_owner").on(t.portalId, t.requesterId, t.id),
    index("action_events_created").on(t.createdAt),
  ],
);

/** Staged input, in chunks of many items, so a worker resumes by position after a crash. */
export const actionInputs = sqliteTable(
  "action_inputs",
  {
    actionId: integer("action_id").notNull(),
    chunk: integer("chunk").notNull(),
    /** Position of the first item of the chunk (0-based). */
    first: integer("first").notNull(),
    count: integer("count").notNull(),
    /** JSON array of items. */
    items: text("items").notNull(),
  },
  (t) => [primaryKey({ columns: [t.actionId, t.chunk] })],
);

/** One line of an error report: a row with an Error or a Warning. */
export const reportRows = sqliteTable(
  "report_rows",
  {
    actionId: integer("action_id").notNull(),
    row: integer("row").notNull(),
    status: text("status").notNull(),
    identifier: text("identifier").notNull(),
    issue: text("issue").notNull(),
    resolution: text("resolution").notNull(),
    /** An Error row's record exactly as uploaded (CSV uploads), for the failed rows to fix. */
    raw: text("raw"),
  },
  (t) => [primaryKey({ columns: [t.actionId, t.row] })],
);

/**
 * Email outbox: written with the change that causes the email, delivered by a separate job (src/mail).
 * Status: pending (waiting; with a `batch_key` it waits for a retry), sending (claimed under a lease),
 * sent, failed (given up), invalid (its address is not one address: logged once, then skipped).
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actionId: integer("action_id"),
    /** Unique per email; the Resend idempotency key of an email sent on its own. */
    idempotencyKey: text("idempotency_key").notNull(),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body").notNull(),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    leaseExpiresAt: integer("lease_expires_at"),
    lastError: text("last_error"),
    providerId: text("provider_id"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
    /** completion (one person waiting for one answer: sent first) or reminder (bulk). */
    kind: text("kind").notNull().default("completion"),
    portalId: text("portal_id").notNull().default(""),
    /** Fair-queue position of a reminder: portals' reminders interleave in this order. */
    queueTag: integer("queue_tag").notNull().default(0),
    /**
     * The send request this email belongs to, fixed when it is first claimed: the Idempotency-Key of
     * that request, so a retry (or a crash between the send and the record) sends nothing twice.
     */
    batchKey: text("batch_key"),
  },
  (t) => [
    uniqueIndex("outbox_idempotency").on(t.idempotencyKey),
    index("outbox_due").on(t.status, t.nextAttemptAt),
    index("outbox_queue").on(t.status, t.kind, t.queueTag),
    index("outbox_batch").on(t.status, t.batchKey),
    index("outbox_sent").on(t.sentAt),
  ],
);

/** The deployment's send pace, shared by every process: the earliest time of the next request. */
export const mailPace = sqliteTable("mail_pace", {
  scope: text("scope").primaryKey(),
  nextAt: integer("next_at").notNull(),
  /** Requests per second now: lowered after a 429, raised back while requests go through. */
  pace: real("pace").notNull(),
});

/** Per portal: where its next reminders go in the fair queue, and its mail-rate clock (GCRA). */
export const mailPortals = sqliteTable("mail_portals", {
  portalId: text("portal_id").primaryKey(),
  lastTag: integer("last_tag").notNull(),
  /** Theoretical arrival time of the portal's next reminder (ms). */
  tat: integer("tat").notNull(),
});

/** Blobs (content packages) when no file system or R2 is at hand. */
export const blobs = sqliteTable("blobs", {
  key: text("key").primaryKey(),
  data: text("data").notNull(),
  size: integer("size").notNull(),
  createdAt: integer("created_at").notNull(),
});

// ---- The portal's own data that actions change ----

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    portalId: text("portal_id").notNull(),
    email: text("email").notNull(),
    firstName: text("first_name").notNull().default(""),
    lastName: text("last_name").notNull().default(""),
    role: text("role").notNull().default("learner"),
    department: text("department").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("users_portal_email").on(t.portalId, t.email)],
);

export const groups = sqliteTable(
  "groups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    portalId: text("portal_id").notNull(),
    name: text("name").notNull(),
    /** Dynamic rule as JSON ({ attribute, operator, value }), null for a static group. */
    rule: text("rule"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("groups_portal_name").on(t.portalId, t.name)],
);

export const groupMembers = sqliteTable(
  "group_members",
  {
    groupId: integer("group_id").notNull(),
    userId: integer("user_id").notNull(),
    addedAt: integer("added_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user").on(t.userId)],
);

export const courses = sqliteTable(
  "courses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    portalId: text("portal_id").notNull(),
    code: text("code").notNull(),
    title: text("title").notNull(),
    /** scorm12 | scorm2004 | xapi | null (a course without a package) */
    packageKind: text("package_kind"),
    packageKey: text("package_key"),
    launchPath: text("launch_path"),
    contentVersion: integer("content_version").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("courses_portal_code").on(t.portalId, t.code)],
);

export const enrollments = sqliteTable(
  "enrollments",
  {
    courseId: integer("course_id").notNull(),
    userId: integer("user_id").notNull(),
    dueDate: integer("due_date"),
    /** enrolled | completed | passed | failed */
    status: text("status").notNull().default("enrolled"),
    progress: integer("progress").notNull().default(0),
    score: integer("score"),
    completedAt: integer("completed_at"),
    enrolledAt: integer("enrolled_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.courseId, t.userId] }), index("enrollments_user").on(t.userId)],
);

/** Training history imported from other platforms (history_migration). */
export const trainingHistory = sqliteTable(
  "training_history",
  {
    userId: integer("user_id").notNull(),
    courseId: integer("course_id").notNull(),
    completedAt: integer("completed_at").notNull(),
    status: text("status").notNull(),
    score: integer("score"),
    actionId: integer("action_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.courseId, t.completedAt] })],
);

/** Guard used by engine batches: inserting 0 violates the check and rolls the whole batch back. */
export const sliceGuard = sqliteTable("slice_guard", { ok: integer("ok").notNull() }, (t) => [
  check("slice_guard_ok", sql`${t.ok} = 1`),
]);

/**
 * Browser sessions (the `tracker_session` cookie): an id the tracker mints, stored only as its SHA-256, so
 * signing out ends the session on the server and a copy of this table opens no session. The person is
 * copied from the token that started it; `expires_at` is the session's lifetime, capped by the token's.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    idHash: text("id_hash").primaryKey(),
    portalId: text("portal_id").notNull(),
    subject: text("subject").notNull(),
    role: text("role").notNull(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("sessions_expiry").on(t.expiresAt)],
);
