/**
 * Client script, part 1: building and patching the table. Plain DOM calls only: every piece of data goes
 * in through `textContent`/`append` or a vetted attribute, never through HTML strings (the CSP's Trusted
 * Types rule would refuse `innerHTML` anyway). Rows are keyed by reference ID and patched in place.
 * Runs inside the IIFE that page-script.ts closes; shares its scope.
 */
export const RENDER_JS = String.raw`
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const CIRCLE = "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11z";
const ICONS = {
  not_started: [CIRCLE],
  scheduled: [CIRCLE, "M8 5v3.2l2.1 1.3"],
  in_progress: ["M8 2.5a5.5 5.5 0 1 1-5.5 5.5"],
  completed: [CIRCLE, "M5.6 8.2l1.7 1.7 3.2-3.5"],
  completed_with_errors: ["M8 2.3l6 10.5H2z", "M8 6.4v2.9", "M8 11.1v.2"],
  cancelled: [CIRCLE, "M4.2 11.8l7.6-7.6"],
  failed: [CIRCLE, "M6 6l4 4M10 6l-4 4"],
  timeout: ["M4.5 2.5h7M4.5 13.5h7", "M5.3 2.5c0 3 5.4 2.6 5.4 5.5s-5.4 2.5-5.4 5.5M10.7 2.5c0 3-5.4 2.6-5.4 5.5s5.4 2.5 5.4 5.5"],
  copy: ["M5.5 5.5h7v7h-7z", "M3.5 10.5v-7h7"],
  check: ["M3.5 8.5l3 3 6-7"],
  file: ["M4 1.8h5l3 3v9.4H4z", "M9 1.8v3h3"],
  download: ["M8 2.5v7.5M4.8 7l3.2 3.2L11.2 7", "M3 13.5h10"],
  clock: [CIRCLE, "M8 5v3.2l2.1 1.3"],
  close: ["M4 4l8 8M12 4l-8 8"],
  inbox: ["M2.5 9l1.8-5.5h7.4L13.5 9v3.5h-11z", "M2.5 9h3.2l.8 1.5h3l.8-1.5h3.2"],
  search: ["M7 2.8a4.2 4.2 0 1 0 0 8.4a4.2 4.2 0 1 0 0-8.4z", "M10.2 10.2l3.3 3.3"],
};

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  for (const d of ICONS[name] || ICONS.not_started) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** h("a", { class: "x", href }, child…): children are nodes or strings (text nodes, never HTML). */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const key in attrs || {}) {
    const value = attrs[key];
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const kid of kids) if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
  return el;
}

const num = new Intl.NumberFormat();
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const yearFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
const relDay = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const cap = (s) => s.charAt(0).toLocaleUpperCase() + s.slice(1);
const plural = (n, word) => num.format(n) + " " + word + (n === 1 ? "" : "s");

/** "Today, 14:05", "Tomorrow, 09:00", "Mar 3, 14:05", with the year when it is not this one. */
function when(iso, lower) {
  const date = new Date(iso);
  const startOf = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(date) - startOf(new Date())) / 86400000);
  const rel = relDay.format(days, "day");
  const day = Math.abs(days) <= 1 ? (lower ? rel : cap(rel))
    : date.getFullYear() === new Date().getFullYear() ? dayFmt.format(date) : yearFmt.format(date);
  return day + ", " + timeFmt.format(date);
}

function timeEl(iso, prefix) {
  if (!iso) return h("span", { class: "muted", "aria-label": "none" }, "—");
  return h("time", { datetime: iso, title: fullFmt.format(new Date(iso)) }, (prefix || "") + when(iso, !!prefix));
}

/** A same-origin path from the API, or null: an attribute never takes a scheme-bearing URL. */
const safePath = (url) => (typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null);

function badge(v) {
  const status = /^[a-z_]+$/.test(v.status) ? v.status : "not_started";
  return h("span", { class: "badge s-" + status, "data-status": status }, icon(status), h("span", null, v.statusLabel));
}

function actionCell(v) {
  const type = h("div", { class: "type" }, v.typeLabel);
  if (v.steps > 1) type.append(h("span", { class: "step" }, "Step " + v.step + " of " + v.steps));
  const file = v.fileName ? h("div", { class: "sub", title: v.fileName }, icon("file"), h("span", null, v.fileName)) : null;
  return [type, file];
}

function bar(v) {
  const p = v.progress;
  const pct = (n) => (p.total > 0 ? Math.min(100, (n / p.total) * 100) : 0) + "%";
  const running = v.status === "in_progress";
  const el = h("div", {
    class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": p.total, "aria-valuenow": p.processed,
    "aria-label": "Progress of " + v.referenceId,
    "aria-valuetext": num.format(p.processed) + " of " + num.format(p.total) + " processed",
  });
  const ok = h("span", { class: running ? "run" : "ok" });
  const err = h("span", { class: "err" });
  ok.style.width = pct(p.succeeded);
  err.style.width = pct(p.errors);
  el.append(ok, err);
  return el;
}

function progressCell(v) {
  const p = v.progress;
  const out = [];
  if (v.status === "scheduled" && v.scheduledFor) out.push(h("div", { class: "small muted" }, timeEl(v.scheduledFor, "Starts ")));
  else if (v.status === "not_started") out.push(h("div", { class: "small muted" }, "Waiting for a worker"));
  const started = v.status !== "scheduled" && v.status !== "not_started" && !(v.status === "cancelled" && p.processed === 0);
  if (p.total > 0 && started) {
    const counts = h("div", { class: "counts" }, h("span", null, num.format(p.processed) + " / " + num.format(p.total)));
    if (p.errors) counts.append(h("span", { class: "e" }, plural(p.errors, "error")));
    if (p.warnings) counts.append(h("span", { class: "w" }, plural(p.warnings, "warning")));
    if (v.status === "in_progress") counts.append(h("span", { class: "pct" }, Math.floor((p.processed / p.total) * 100) + "%"));
    out.push(bar(v), counts);
  }
  if (v.failureReason) out.push(h("div", { class: "reason" }, v.failureReason));
  else if (v.status === "cancelled" && p.processed === 0) out.push(h("div", { class: "small muted" }, "Cancelled before it started"));
  if (!out.length) out.push(h("span", { class: "muted" }, "—"));
  return out;
}

function reportCell(v) {
  const r = v.errorReport;
  if (!r) return [h("span", { class: "muted" }, "—")];
  const until = r.expiresAt ? when(r.expiresAt) : null;
  if (r.expired) {
    return [h("span", { class: "expired", title: until ? "It was available until " + until : "" }, icon("clock"), "Expired")];
  }
  const href = safePath(r.url);
  if (!href) return [h("span", { class: "muted" }, r.name)];
  return [
    h("a", { class: "report", href, title: r.name, "aria-label": "Download error report " + r.name + " of " + v.referenceId }, icon("download"), h("span", null, "Download CSV")),
    until ? h("div", { class: "small muted" }, "Available until " + until) : null,
  ];
}

/** Copies with the async Clipboard API, or the selection fallback on plain-HTTP origins. */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { class: "sr-only", readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function refButton(ref) {
  const tip = h("span", { class: "tip", hidden: true }, "Copied");
  const button = h("button", { type: "button", class: "ref", title: "Copy reference ID", "aria-label": "Copy reference ID " + ref },
    h("span", null, ref), icon("copy"), tip);
  let timer = 0;
  button.addEventListener("click", async () => {
    const ok = await copyText(ref);
    tip.textContent = ok ? "Copied" : "Copy failed";
    tip.hidden = false;
    button.classList.toggle("copied", ok);
    button.replaceChild(icon(ok ? "check" : "copy"), button.children[1]);
    announce(ok ? "Reference ID " + ref + " copied." : "Could not copy " + ref + ".");
    clearTimeout(timer);
    timer = setTimeout(() => {
      tip.hidden = true;
      button.classList.remove("copied");
      button.replaceChild(icon("copy"), button.children[1]);
    }, 1600);
  });
  return button;
}

/** Builds a row once; later changes only refill the cells that can change. */
function createRow(v) {
  const tr = h("tr", { "data-ref": v.referenceId, tabindex: "-1" });
  // Labels for the stacked layout of narrow screens (the header row is hidden there).
  for (const label of [null, null, null, "Progress", "Requested", "Completed", "Error report"]) tr.append(h("td", { "data-label": label }));
  tr.cells[1].append(refButton(v.referenceId));
  fillRow(tr, v);
  return tr;
}

function fillRow(tr, v) {
  const c = tr.cells;
  tr.dataset.status = v.status;
  c[0].replaceChildren(...actionCell(v).filter(Boolean));
  c[2].replaceChildren(badge(v));
  c[3].className = "progress";
  c[3].replaceChildren(...progressCell(v));
  c[4].replaceChildren(timeEl(v.createdAt));
  c[5].replaceChildren(timeEl(v.completedAt));
  c[6].replaceChildren(...reportCell(v).filter(Boolean));
}
`;
