/**
 * The reminder email a learner receives from `reminder_send`. It is rendered once per batch of
 * recipients, split around the greeting, and the outbox insert puts each recipient's greeting in
 * between in SQL: a batch of 500 reminders travels as one small JSON parameter, not 500 bodies.
 */
import { escapeHtml, oneLine, type RenderedEmail, trackerLink } from "./template";

/**
 * Marks the greeting while rendering. It is the first thing in the text, and in the HTML it cannot come
 * from escaped content (`<` is escaped), so splitting at its first occurrence is always right.
 */
const GREETING_SLOT = "<!--greeting-->";

/** An email body around the greeting: `before + greeting + after`. */
export type AroundGreeting = readonly [before: string, after: string];

export interface ReminderParts {
  subject: string;
  text: AroundGreeting;
  html: AroundGreeting;
}

export interface ReminderCourse {
  code: string;
  title: string;
}

/** The greeting for one recipient, as text and as HTML. */
export function reminderGreeting(firstName: string): { text: string; html: string } {
  const name = oneLine(firstName);
  const text = name ? `Hello ${name},` : "Hello,";
  return { text, html: escapeHtml(text) };
}

function around(body: string): AroundGreeting {
  const at = body.indexOf(GREETING_SLOT);
  return [body.slice(0, at), body.slice(at + GREETING_SLOT.length)];
}

/** Renders the reminder around the greeting; the admin's optional message comes after the intro. */
export function reminderEmail(course: ReminderCourse, message?: string): ReminderParts {
  const title = course.title.trim() || course.code;
  const subject = oneLine(`Reminder: please complete "${title}"`);
  const note = message?.trim() ?? "";
  const intro = `This is a friendly reminder that the course "${title}" (${course.code}) is waiting for you.`;
  const close = "Thank you, and enjoy the course!";

  const text = [
    GREETING_SLOT,
    "",
    intro,
    ...(note ? ["", note] : []),
    "",
    "Open your learning portal to pick up where you left off.",
    "",
    close,
    "",
  ].join("\n");

  const paragraph = (body: string, style = "") => `<p style="margin:0 0 14px;${style}">${body}</p>`;
  const html = [
    "<!doctype html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f6f8;font-family:Arial,Helvetica,sans-serif;color:#1f2328;">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px;">',
    paragraph(GREETING_SLOT),
    paragraph(
      `This is a friendly reminder that the course <strong>${escapeHtml(title)}</strong> ` +
        `(${escapeHtml(course.code)}) is waiting for you.`,
    ),
    ...(note
      ? [
          paragraph(
            escapeHtml(note).replace(/\r?\n/g, "<br>"),
            "padding:12px;background:#f0f4ff;border-radius:6px;",
          ),
        ]
      : []),
    paragraph("Open your learning portal to pick up where you left off."),
    paragraph(escapeHtml(close), "margin:0;"),
    "</div></body></html>",
  ].join("\n");

  return { subject, text: around(text), html: around(html) };
}

/**
 * Told to the requester when a reminder series reaches REMINDER_SERIES_MAX: this occurrence was its last,
 * and what to do to continue. Plain facts, a link to the tracker, nothing from any report.
 */
export function seriesEndEmail(input: {
  course: ReminderCourse;
  occurrences: number;
  referenceId: string;
  requesterName: string;
  publicUrl: string;
}): RenderedEmail {
  const title = input.course.title.trim() || input.course.code;
  const link = trackerLink(input.publicUrl, input.referenceId);
  const subject = oneLine(`Reminder series ended: "${title}" (${input.referenceId})`);
  const lines = [
    `The recurring reminder for the course "${title}" (${input.course.code}) has reached its limit of ${input.occurrences} occurrences.`,
    `Occurrence ${input.referenceId} was the last one: no further reminder is scheduled.`,
    "To keep reminding learners, start a new reminder with a recurrence.",
  ];
  const text = [`Hello ${input.requesterName},`, "", ...lines, "", "See it in the tracker:", link, ""].join(
    "\n",
  );
  const html = [
    "<!doctype html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;color:#1f2328;">',
    `<p>Hello ${escapeHtml(input.requesterName)},</p>`,
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p><a href="${escapeHtml(link)}">Open in the tracker</a></p>`,
    "</body></html>",
  ].join("\n");
  return { subject, text, html };
}
