/**
 * Writing emails into the outbox, always inside the batch of the change that causes them, so an email
 * is never lost nor invented. Every address is checked here: an email to something that is not one
 * address is recorded as `invalid` (the deliverer logs why, once, and never sends it).
 *
 * Reminders are written with two extra facts. Their place in a fair queue (`queue_tag`): each portal's
 * reminders continue that portal's lane from where the queue is now, so a portal's large series and
 * another portal's few reminders interleave instead of waiting behind each other. And their earliest
 * send time under the portal's mail rate (MAIL_PORTAL_RATE per hour, a cell-rate schedule with a burst
 * of one hour's worth): beyond it they wait their turn, they are not dropped.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { actions, mailPortals, outbox } from "../db/schema";
import { addressProblem } from "./address";
import type { ReminderParts } from "./reminder-template";
import { type CompletionEmailAction, completionEmail, type RenderedEmail } from "./template";

export type OutboxRow = typeof outbox.$inferSelect;
export type OutboxInsert = typeof outbox.$inferInsert;

/** Kinds of email, in the order they are sent: a person waiting for one answer before bulk mail. */
export type MailKind = "completion" | "reminder";

/** An email to one person about their own action: checked, and `invalid` when the address is not one. */
export function personalEmailRow(input: {
  idempotencyKey: string;
  to: string;
  email: RenderedEmail;
  actionId: number;
  portalId?: string;
  now: number;
}): OutboxInsert {
  const problem = addressProblem(input.to);
  return {
    actionId: input.actionId,
    idempotencyKey: input.idempotencyKey,
    toAddress: input.to,
    subject: input.email.subject,
    textBody: input.email.text,
    htmlBody: input.email.html,
    status: problem ? "invalid" : "pending",
    lastError: problem ? `Not sent: the address ${problem}.` : null,
    attempts: 0,
    nextAttemptAt: input.now,
    createdAt: input.now,
    kind: "completion",
    portalId: input.portalId ?? "",
  };
}

/** The outbox row of an action's completion email; its key makes a second insert for one action a no-op. */
export function completionEmailRow(input: {
  actionId: number;
  action: CompletionEmailAction;
  publicUrl: string;
  now: number;
  portalId?: string;
}): OutboxInsert {
  return personalEmailRow({
    idempotencyKey: `completion/${input.action.referenceId}`,
    to: input.action.requester.email,
    email: completionEmail(input.action, input.publicUrl),
    actionId: input.actionId,
    ...(input.portalId !== undefined ? { portalId: input.portalId } : {}),
    now: input.now,
  });
}

/** The insert to put into the caller's `db.batch([...])`, next to the change that causes the email. */
export function outboxInsert(db: Db, row: OutboxInsert) {
  return db.insert(outbox).values(row).onConflictDoNothing();
}

/**
 * The completion email of an action that ends with `status` at `now`, for the batch that ends it: it is
 * inserted only if that end took effect (the action has this status and end time) and `notify` is on.
 */
export function completionEmailStatement(
  db: Db,
  input: { actionId: number; action: CompletionEmailAction; publicUrl: string; now: number },
) {
  const row = completionEmailRow(input);
  const { actionId, now } = input;
  return db.run(sql`
    INSERT INTO ${outbox} (action_id, idempotency_key, to_address, subject, text_body, html_body, status,
                           last_error, attempts, next_attempt_at, created_at, kind, portal_id)
    SELECT ${actionId}, ${row.idempotencyKey}, ${row.toAddress}, ${row.subject}, ${row.textBody},
           ${row.htmlBody}, ${row.status}, ${row.lastError}, 0, ${now}, ${now}, 'completion', ${actions.portalId}
    FROM ${actions} WHERE ${actions.id} = ${actionId} AND ${actions.status} = ${input.action.status}
      AND ${actions.completedAt} = ${now} AND ${actions.notify} = 1
    ON CONFLICT DO NOTHING`);
}

/** One reminder recipient: [userId, address, greeting as text, greeting as HTML]. */
export type ReminderRecipient = [number, string, string, string];

const HOUR_MS = 3_600_000;

/**
 * The statements that put one slice of an action's reminders into the outbox (for the slice's batch):
 * first the portal's lane and rate clock move past these `recipients`, then each row is inserted with its
 * place in the fair queue and its earliest send time. Each row's key `reminder/<referenceId>/<userId>`
 * makes a repeated slice a no-op.
 */
export function reminderInserts(
  db: Db,
  input: {
    actionId: number;
    referenceId: string;
    portalId: string;
    now: number;
    email: ReminderParts;
    recipients: ReminderRecipient[];
    /** MAIL_PORTAL_RATE: reminders one portal may send per hour. */
    portalRatePerHour: number;
  },
) {
  const { now, portalId } = input;
  const n = input.recipients.length;
  const interval = HOUR_MS / input.portalRatePerHour;
  // A burst of one hour's worth: the first `portalRatePerHour` reminders of an idle portal go at once.
  const burst = HOUR_MS - interval;
  const span = Math.round(n * interval);
  // The queue's front: the earliest reminder still waiting, or else the end of every lane so far.
  const front = sql`coalesce(
    (SELECT min(${outbox.queueTag}) FROM ${outbox} WHERE ${outbox.status} = 'pending' AND ${outbox.kind} = 'reminder'),
    (SELECT max(${mailPortals.lastTag}) FROM ${mailPortals}), 0)`;
  const reserve = db.run(sql`
    INSERT INTO ${mailPortals} (portal_id, last_tag, tat) VALUES (${portalId}, ${front} + ${n}, ${now + span})
    ON CONFLICT (portal_id) DO UPDATE SET
      last_tag = max(${mailPortals.lastTag}, ${front}) + ${n},
      tat = max(${mailPortals.tat}, ${now}) + ${span}`);
  const { email } = input;
  const insert = db.run(sql`
    INSERT INTO ${outbox} (action_id, idempotency_key, to_address, subject, text_body, html_body, status,
                           attempts, next_attempt_at, created_at, kind, portal_id, queue_tag)
    SELECT ${input.actionId}, ${`reminder/${input.referenceId}/`} || (j.value ->> 0), j.value ->> 1,
           ${email.subject}, ${email.text[0]} || (j.value ->> 2) || ${email.text[1]},
           ${email.html[0]} || (j.value ->> 3) || ${email.html[1]}, 'pending', 0,
           max(${now}, p.tat - ${span} + CAST(j.key * ${interval} AS INTEGER) - ${Math.floor(burst)}),
           ${now}, 'reminder', ${portalId}, p.last_tag - ${n} + j.key + 1
    FROM json_each(${JSON.stringify(input.recipients)}) AS j, ${mailPortals} AS p
    WHERE p.portal_id = ${portalId}
    ON CONFLICT DO NOTHING`);
  return [reserve, insert] as const;
}
