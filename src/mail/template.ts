/**
 * The completion email: what a portal admin receives when one of their bulk actions ends.
 * It only points to the tracker; report rows and attachments never travel by email
 * (they may hold personal data, and the tracker always has the current state).
 */

/** The few action fields the email needs; a subset of the action JSON of the contract. */
export interface CompletionEmailAction {
  referenceId: string;
  type: string;
  typeLabel: string;
  status: string;
  statusLabel: string;
  requester: { name: string; email: string };
  /** ISO 8601; shown normalised to UTC. */
  completedAt: string;
  /** A dry run: judged and reported, nothing changed; the subject and the body say so first. */
  dryRun?: boolean;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** One friendly sentence per final status; anything else gets the neutral one. */
const OUTCOME: Record<string, string> = {
  completed: "has finished successfully.",
  completed_with_errors: "has finished, but some rows had errors. The tracker has the error report.",
  failed: "could not be completed. The tracker says why.",
  cancelled: "was cancelled.",
  timeout: "took too long and was stopped.",
};
const NEUTRAL_OUTCOME = "has ended.";

/** Link to the tracker page focused on this action. */
export function trackerLink(publicUrl: string, referenceId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/?ref=${encodeURIComponent(referenceId)}`;
}

/** ISO 8601 in UTC when the input parses, the input unchanged otherwise (never throws). */
function toUtcIso(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Keeps header-breaking characters out of a subject or a greeting. */
export function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, " ").trim();
}

/**
 * Renders the completion email in plain text and simple inline-styled HTML.
 * The subject names the type, the reference ID and the status, so inbox lists are readable on their own.
 */
export function completionEmail(action: CompletionEmailAction, publicUrl: string): RenderedEmail {
  const link = trackerLink(publicUrl, action.referenceId);
  const completedAt = toUtcIso(action.completedAt);
  const outcome = OUTCOME[action.status] ?? NEUTRAL_OUTCOME;
  const requester = `${action.requester.name} <${action.requester.email}>`;
  const dry = action.dryRun === true;
  const subject = oneLine(
    `${dry ? "Dry run: " : ""}${action.typeLabel} ${action.referenceId}: ${action.statusLabel}`,
  );
  const what = `${dry ? "dry run of the " : ""}${action.typeLabel.toLowerCase()}`;
  const dryNote = dry
    ? "This was a dry run: every row was checked and reported, and nothing in the portal was changed."
    : null;

  const facts: [string, string][] = [
    ["Action", dry ? `${action.typeLabel} (dry run)` : action.typeLabel],
    ["Status", action.statusLabel],
    ["Reference ID", action.referenceId],
    ["Requested by", requester],
    ["Completed at", `${completedAt} (UTC)`],
  ];

  const text = [
    `Hello ${action.requester.name},`,
    "",
    `Your ${what} ${action.referenceId} ${outcome}`,
    "",
    ...(dryNote ? [dryNote, ""] : []),
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(14)}${value}`),
    "",
    "See the details in the tracker:",
    link,
    "",
    "This message was sent automatically by the action tracker.",
    "",
  ].join("\n");

  const cell = "padding:4px 12px 4px 0;vertical-align:top;";
  const rows = facts
    .map(
      ([label, value]) =>
        `<tr><td style="${cell}color:#555;">${escapeHtml(label)}</td>` +
        `<td style="${cell}font-weight:600;">${escapeHtml(value)}</td></tr>`,
    )
    .join("");
  const html = [
    "<!doctype html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f6f8;font-family:Arial,Helvetica,sans-serif;color:#1f2328;">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px;">',
    `<p style="margin:0 0 12px;">Hello ${escapeHtml(action.requester.name)},</p>`,
    `<p style="margin:0 0 16px;">Your ${escapeHtml(what)} ` +
      `<strong>${escapeHtml(action.referenceId)}</strong> ${escapeHtml(outcome)}</p>`,
    ...(dryNote ? [`<p style="margin:0 0 16px;">${escapeHtml(dryNote)}</p>`] : []),
    `<table role="presentation" style="border-collapse:collapse;margin:0 0 20px;font-size:14px;">${rows}</table>`,
    `<p style="margin:0 0 20px;"><a href="${escapeHtml(link)}" ` +
      'style="display:inline-block;background:#2563eb;color:#ffffff;text-decoration:none;' +
      'padding:10px 16px;border-radius:6px;">Open in the tracker</a></p>',
    `<p style="margin:0;font-size:12px;color:#6b7280;">Or paste this link: ${escapeHtml(link)}<br>` +
      "This message was sent automatically by the action tracker.</p>",
    "</div></body></html>",
  ].join("\n");

  return { subject, text, html };
}
