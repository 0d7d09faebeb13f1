/**
 * The parts of the detail view that follow from the action's view alone: the summary (progress, rate
 * and time left while it runs, times), the downloads with "available until", and the timeline. Each is
 * a list of children built from data with DOM calls (no HTML strings), like the row's cells.
 */
import { STATUS_LABELS } from "../../actions/model";
import type { ActionView } from "../../actions/view";
import { safePath } from "../same-origin";
import { bar, counts, knownStatus, showsProgress, timeEl } from "./cells";
import { type Child, h, icon } from "./dom";
import { num, onDay, perSecond, span, timeLeft, when } from "./format";
import type { Estimate } from "./rate";

type Timeline = ActionView["timeline"];
type DownloadFile = NonNullable<ActionView["errorReport"]>;

const CAUSES: Record<Timeline[number]["by"], string> = {
  requester: "by you",
  worker: "by a worker",
  clock: "by the clock",
};

/** What one unit of work is called in rates ("rows/s", "packages/s"). */
export const unitOf = (v: ActionView) => (v.type.startsWith("content_") ? "packages" : "rows");

const stat = (label: string, ...value: Child[]) =>
  h("div", null, h("dt", null, label), h("dd", null, ...value));

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/** Rate and time left while running ("calculating…" until the meter has enough), else the times. */
function stats(v: ActionView, estimate: Estimate): HTMLElement {
  const list = h("dl", { class: "stats" });
  if (v.status === "in_progress") {
    const calculating = h("span", { class: "muted" }, "calculating…");
    const { rate, secondsLeft } = estimate;
    list.append(
      stat(
        "Rate",
        rate === null ? calculating : h("span", { "data-rate": rate }, perSecond(rate, unitOf(v))),
      ),
      stat(
        "Time left",
        secondsLeft === null
          ? calculating.cloneNode(true)
          : h("span", { "data-seconds": Math.round(secondsLeft * 10) / 10 }, timeLeft(secondsLeft)),
      ),
    );
  }
  list.append(stat("Requested", timeEl(v.createdAt, "", true)));
  if (v.scheduledFor && !v.startedAt) list.append(stat("Starts", timeEl(v.scheduledFor)));
  if (v.startedAt) list.append(stat("Started", timeEl(v.startedAt, "", true)));
  if (v.completedAt) {
    list.append(stat("Ended", timeEl(v.completedAt, "", true)));
    if (v.startedAt) list.append(stat("Took", span(Math.max(0, seconds(v.startedAt, v.completedAt)))));
  }
  return list;
}

export function summary(v: ActionView, estimate: Estimate): Child[] {
  const p = v.progress;
  const out: Child[] = [];
  if (v.dryRun) {
    out.push(
      h(
        "p",
        { class: "callout dry" },
        icon("search"),
        h(
          "span",
          null,
          h("b", null, "Dry run. "),
          "Nothing is changed: every row is checked as the real run would.",
        ),
      ),
    );
  }
  if (v.failureReason)
    out.push(h("p", { class: "callout bad" }, icon("failed"), h("span", null, v.failureReason)));
  if (showsProgress(v)) {
    out.push(bar(v), counts(v, `${num.format(p.processed)} of ${num.format(p.total)} processed`, true));
  }
  out.push(stats(v, estimate));
  return out;
}

/**
 * One download: its name, what it holds, and how long it is kept ("available until", "expired on …",
 * or, while the action runs, that it holds the rows so far), with the link while it is kept.
 */
function download(v: ActionView, file: DownloadFile | null, title: string, holds: string): Child {
  if (!file) return null;
  const href = file.expired ? null : safePath(file.url);
  const kept = file.expired
    ? h(
        "div",
        { class: "small expired" },
        icon("clock"),
        file.expiresAt ? `Expired ${onDay(file.expiresAt)}` : "Expired",
      )
    : h(
        "div",
        { class: "small muted" },
        file.expiresAt
          ? `Available until ${when(file.expiresAt, true)}`
          : v.status === "in_progress"
            ? "The rows so far: complete when the action ends"
            : null,
      );
  return h(
    "li",
    { class: "file" },
    icon("file"),
    h("div", null, h("b", null, title), h("div", { class: "small muted" }, `${file.name} · ${holds}`), kept),
    href
      ? h(
          "a",
          { class: "btn", href, "aria-label": `Download ${title.toLowerCase()} ${file.name}` },
          icon("download"),
          "Download",
        )
      : null,
  );
}

export function downloads(v: ActionView): Child[] | null {
  if (!v.errorReport && !v.failedRows) return null;
  return [
    h("h3", null, "Downloads"),
    h(
      "ul",
      { class: "files" },
      download(v, v.errorReport, "Error report", "every row with an error or a warning"),
      download(v, v.failedRows, "Failed rows", "in your file's own columns, to fix and upload again"),
    ),
  ];
}

/**
 * Each status change with its cause and time; an entry that changes no status (a worker resuming the
 * action) reads as its note, which names its cause.
 */
export function timeline(entries: Timeline): Child[] | null {
  if (!entries.length) return null;
  return [
    h("h3", null, "Timeline"),
    h(
      "ol",
      { class: "timeline" },
      ...entries.map((e, i) => {
        const status = knownStatus(e.status);
        const same = i > 0 && entries[i - 1]!.status === e.status && e.note;
        return h(
          "li",
          null,
          h("span", { class: `badge s-${status}` }, icon(status)),
          h(
            "div",
            null,
            h("b", null, same ? e.note : STATUS_LABELS[status]),
            same ? null : h("span", { class: "muted" }, ` ${CAUSES[e.by] ?? ""}`),
            h("div", { class: "small muted" }, timeEl(e.at, "", true)),
            e.note && !same ? h("div", { class: "small" }, e.note) : null,
          ),
        );
      }),
    ),
  ];
}
