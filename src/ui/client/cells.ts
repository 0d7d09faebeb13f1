/**
 * The pieces an action is shown with, each built from an `ActionView` (the API's own type): its type and
 * file, status badge, progress, times and error report. Rows use them; other views of an action can too.
 */
import { STATUSES, type Status } from "../../actions/model";
import type { ActionView } from "../../actions/view";
import { safePath } from "../same-origin";
import { type Child, h, icon } from "./dom";
import { fullTime, num, plural, when } from "./format";

/** The status to draw: one the page has an icon and a colour for, else "not_started". */
export const knownStatus = (value: string): Status =>
  (STATUSES as readonly string[]).includes(value) ? (value as Status) : "not_started";

/** A `<time>` ("Today, 14:05") with the full date as its tooltip, or a dash when there is none. */
export function timeEl(iso: string | null, prefix = "", seconds = false): HTMLElement {
  if (!iso) return h("span", { class: "muted", "aria-label": "none" }, "—");
  return h("time", { datetime: iso, title: fullTime(iso) }, prefix + when(iso, prefix !== "", seconds));
}

/** The status as a badge: its own icon shape and its label, never colour alone. */
export function badge(v: ActionView): HTMLElement {
  const status = knownStatus(v.status);
  return h(
    "span",
    { class: `badge s-${status}`, "data-status": status },
    icon(status),
    h("span", null, v.statusLabel),
  );
}

/** What a status change says to a screen reader: "User upload BA-7K3Q9X2M is now Completed." */
export const statusNews = (v: ActionView) => `${v.typeLabel} ${v.referenceId} is now ${v.statusLabel}.`;

/** The marks beside an action's name: its step (`step` where a view says more) and a dry run's tag. */
export const marks = (v: ActionView, step = `Step ${v.step} of ${v.steps}`): Child[] => [
  v.steps > 1 ? h("span", { class: "step" }, step) : null,
  v.dryRun ? h("span", { class: "tag dry" }, "Dry run") : null,
];

/** The type, linked to the action's detail view (`?ref=`), with its step and a dry run's mark; the file. */
export function actionCell(v: ActionView): Child[] {
  const link = h(
    "a",
    {
      class: "open",
      href: `?ref=${v.referenceId}`,
      "aria-label": `${v.typeLabel} ${v.referenceId}: details`,
    },
    v.typeLabel,
  );
  const type = h("div", { class: "type" }, link, ...marks(v));
  const file = v.fileName
    ? h("div", { class: "sub", title: v.fileName }, icon("file"), h("span", null, v.fileName))
    : null;
  return [type, file];
}

/** The progress bar: succeeded (or running) and errors, as shares of the total. */
export function bar(v: ActionView): HTMLElement {
  const p = v.progress;
  const pct = (n: number) => `${p.total > 0 ? Math.min(100, (n / p.total) * 100) : 0}%`;
  const el = h("div", {
    class: "bar",
    role: "progressbar",
    "aria-valuemin": 0,
    "aria-valuemax": p.total,
    "aria-valuenow": p.processed,
    "aria-label": `Progress of ${v.referenceId}`,
    "aria-valuetext": `${num.format(p.processed)} of ${num.format(p.total)} processed`,
  });
  const ok = h("span", { class: v.status === "in_progress" ? "run" : "ok" });
  const err = h("span", { class: "err" });
  ok.style.width = pct(p.succeeded);
  err.style.width = pct(p.errors);
  el.append(ok, err);
  return el;
}

/** Cancelled before it processed anything. */
const neverStarted = (v: ActionView) => v.status === "cancelled" && v.progress.processed === 0;

/** Whether the action has work to show progress of (it started, and was not cancelled before that). */
export const showsProgress = (v: ActionView) =>
  v.progress.total > 0 && v.status !== "scheduled" && v.status !== "not_started" && !neverStarted(v);

/** The line under a bar: how much is done, the errors and warnings, and the percentage where asked. */
export function counts(v: ActionView, done: string, percent: boolean): HTMLElement {
  const p = v.progress;
  const el = h("div", { class: "counts" }, h("span", null, done));
  if (p.errors) el.append(h("span", { class: "e" }, plural(p.errors, "error")));
  if (p.warnings) el.append(h("span", { class: "w" }, plural(p.warnings, "warning")));
  if (percent) el.append(h("span", { class: "pct" }, `${Math.floor((p.processed / p.total) * 100)}%`));
  return el;
}

export function progressCell(v: ActionView): Child[] {
  const p = v.progress;
  const out: Child[] = [];
  if (v.status === "scheduled" && v.scheduledFor) {
    out.push(h("div", { class: "small muted" }, timeEl(v.scheduledFor, "Starts ")));
  } else if (v.status === "not_started") {
    out.push(h("div", { class: "small muted" }, "Waiting for a worker"));
  }
  if (showsProgress(v)) {
    const done = `${num.format(p.processed)} / ${num.format(p.total)}`;
    out.push(bar(v), counts(v, done, v.status === "in_progress"));
  }
  if (v.failureReason) out.push(h("div", { class: "reason" }, v.failureReason));
  else if (neverStarted(v)) out.push(h("div", { class: "small muted" }, "Cancelled before it started"));
  if (!out.length) out.push(h("span", { class: "muted" }, "—"));
  return out;
}

/** The error report: a download link with "available until", "Expired", or a dash. */
export function reportCell(v: ActionView): Child[] {
  const r = v.errorReport;
  if (!r) return [h("span", { class: "muted" }, "—")];
  const until = r.expiresAt ? when(r.expiresAt) : null;
  if (r.expired) {
    const title = until ? `It was available until ${until}` : "";
    return [h("span", { class: "expired", title }, icon("clock"), "Expired")];
  }
  const href = safePath(r.url);
  if (!href) return [h("span", { class: "muted" }, r.name)];
  return [
    h(
      "a",
      {
        class: "report",
        href,
        title: r.name,
        "aria-label": `Download error report ${r.name} of ${v.referenceId}`,
      },
      icon("download"),
      h("span", null, "Download CSV"),
    ),
    until ? h("div", { class: "small muted" }, `Available until ${until}`) : null,
  ];
}
