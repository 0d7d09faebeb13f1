/**
 * Client script, part 2: data and liveness. One EventSource on /v1/events (the browser resends
 * Last-Event-ID on its own reconnects; after a hard close we reopen with `?lastEventId=`), the list paged
 * with "Load more", the highest `version` kept per action, and stream events coalesced per animation frame
 * so a fast 60,000-row upload patches its row at most once a frame. Filters and `?ref=` live in the URL.
 */
import { RENDER_JS } from "./page-render";

const STATE_JS = `
const PAGE_SIZE = 100;
const params = new URLSearchParams(location.search);
const state = {
  byRef: new Map(), rows: new Map(), list: [], listed: new Set(), cursor: null, loaded: false,
  generation: 0, lastEventId: null, es: null, retryMs: 1000, signedIn: false, opened: false, target: params.get("ref"),
};
const ui = {
  live: $("live"), liveText: $("live-text"), who: $("who"), signOut: $("sign-out"), notice: $("notice"),
  signedOut: $("signed-out"), tracker: $("tracker"), table: $("table"), empty: $("empty"), count: $("count"),
  more: $("more"), status: $("f-status"), type: $("f-type"), clear: $("clear"), announcer: $("announcer"),
};

let announceTimer = 0;
let announceQueue = [];
/** Polite announcements, batched so a burst of changes is read as one message. */
function announce(text) {
  announceQueue.push(text);
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    ui.announcer.textContent = announceQueue.slice(-5).join(" ");
    announceQueue = [];
  }, 250);
}

function setLive(mode, text) {
  ui.live.hidden = false;
  ui.live.dataset.state = mode;
  ui.liveText.textContent = text;
}

function showNotice(kind, text) {
  ui.notice.className = "notice " + kind;
  ui.notice.replaceChildren(icon(kind === "info" ? "search" : "completed_with_errors"), h("p", null, text),
    h("button", { type: "button", "aria-label": "Dismiss", onclick: () => (ui.notice.hidden = true) }, icon("close")));
  ui.notice.hidden = false;
}

function signedOut(reason) {
  state.signedIn = false;
  if (state.es) state.es.close();
  state.es = null;
  ui.tracker.hidden = true;
  ui.who.hidden = ui.signOut.hidden = true;
  setLive("offline", "Signed out");
  if (reason) $("signed-out-text").textContent = reason;
  const dev = $("dev-sign-in");
  dev.hidden = document.body.dataset.dev !== "true";
  dev.href = "/dev/sign-in?next=" + encodeURIComponent(location.pathname + location.search);
  ui.signedOut.hidden = false;
}

const ENDED = "Your session has ended. Sign in again from your learning portal.";

/** Fetches JSON from the API with the session cookie; a 401 anywhere means the session is over. */
async function api(path, init) {
  const res = await fetch(path, Object.assign({ credentials: "same-origin", headers: { accept: "application/json" } }, init));
  if (res.status === 401) {
    signedOut(ENDED);
    throw new Error("signed out");
  }
  return res;
}

/** Who is signed in (GET /v1/session), or the signed-out card. */
async function checkSession() {
  const res = await fetch("/v1/session", { credentials: "same-origin" });
  if (res.status === 401) return signedOut(state.signedIn ? ENDED : null), null;
  if (res.status === 403) return signedOut("Bulk actions are for admins, managers and instructors."), null;
  if (!res.ok) throw new Error("session check failed: " + res.status);
  const { principal } = await res.json();
  ui.who.replaceChildren(h("b", null, principal.name), principal.email);
  ui.who.hidden = ui.signOut.hidden = false;
  ui.signedOut.hidden = true;
  ui.tracker.hidden = false;
  state.signedIn = true;
  return principal;
}

const filterValue = (select) => select.value;
function matches(v) {
  const statuses = filterValue(ui.status), types = filterValue(ui.type);
  return (!statuses || statuses.split(",").includes(v.status)) && (!types || types.split(",").includes(v.type));
}

/** Stores a newer version of an action; returns the previous one, or false when this one is stale. */
function accept(v) {
  const prev = state.byRef.get(v.referenceId);
  if (prev && prev.version >= v.version) return false;
  state.byRef.set(v.referenceId, v);
  return prev || null;
}

/** Puts a ref into the shown list at its place by creation time (newest first); pages append. */
function insert(ref) {
  if (state.listed.has(ref)) return;
  const created = state.byRef.get(ref).createdAt;
  const n = state.list.length;
  let i = n;
  if (n && state.byRef.get(state.list[n - 1]).createdAt < created) {
    i = 0;
    while (i < n && state.byRef.get(state.list[i]).createdAt >= created) i++;
  }
  state.list.splice(i, 0, ref);
  state.listed.add(ref);
}

function rowOf(ref) {
  let tr = state.rows.get(ref);
  if (!tr) state.rows.set(ref, (tr = createRow(state.byRef.get(ref))));
  return tr;
}

/** One <tbody> per action, or per task (its steps together, in step order), kept by key. */
const blocks = new Map();
function blockOf(key, refs, task) {
  let body = blocks.get(key);
  if (!body) {
    body = task ? h("tbody", { class: "task", "aria-label": task.typeLabel + " task, " + task.steps + " steps" }) : h("tbody");
    blocks.set(key, body);
  }
  const rows = refs.map(rowOf);
  if (rows.length !== body.rows.length || rows.some((tr, i) => body.rows[i] !== tr)) body.replaceChildren(...rows);
  return body;
}

/**
 * Lays out the shown rows, moving only what changed: loading a page appends, a new action inserts one
 * block at the top, so a thousand rows are never rebuilt (or re-laid out) at once.
 */
function renderList() {
  const tasks = new Map();
  for (const ref of state.list) {
    const v = state.byRef.get(ref);
    if (v.taskId && v.steps > 1) (tasks.get(v.taskId) || tasks.set(v.taskId, []).get(v.taskId)).push(v);
  }
  const wanted = [];
  const placed = new Set();
  for (const ref of state.list) {
    const v = state.byRef.get(ref);
    const steps = v.taskId && tasks.get(v.taskId);
    if (steps && steps.length > 1) {
      if (placed.has(v.taskId)) continue;
      placed.add(v.taskId);
      wanted.push(blockOf("T:" + v.taskId, steps.sort((a, b) => a.step - b.step).map((s) => s.referenceId), v));
    } else {
      wanted.push(blockOf("R:" + ref, [ref], null));
    }
  }
  let node = ui.table.tHead.nextSibling;
  for (const body of wanted) {
    if (node === body) node = node.nextSibling;
    else ui.table.insertBefore(body, node);
  }
  while (node) {
    const next = node.nextSibling;
    node.remove();
    node = next;
  }
  renderFooter();
}

/** The tab title counts running actions, so a background tab shows when work is done. */
function updateTitle() {
  let running = 0;
  for (const ref of state.list) if (state.byRef.get(ref).status === "in_progress") running++;
  document.title = (running ? "(" + running + " running) " : "") + "Bulk actions · Action tracker";
}

function renderFooter() {
  updateTitle();
  const n = state.list.length;
  const filtered = !!(ui.status.value || ui.type.value);
  ui.clear.hidden = !filtered;
  ui.more.hidden = !state.cursor;
  ui.count.textContent = !state.loaded ? "Loading…" : n === 0 ? "" :
    "Showing " + num.format(n) + (filtered ? " matching" : "") + " action" + (n === 1 ? "" : "s") + (state.cursor ? " so far" : "");
  ui.empty.hidden = !state.loaded || n > 0;
  ui.table.hidden = state.loaded && n === 0;
  if (!ui.empty.hidden) {
    ui.empty.replaceChildren(h("div", { class: "art" }, icon(filtered ? "search" : "inbox")),
      h("h2", null, filtered ? "No actions match these filters" : "No bulk actions yet"),
      h("p", null, filtered ? "Try another status or type." : "Actions you start in the portal appear here and update as they run."),
      filtered ? h("button", { type: "button", class: "btn", onclick: clearFilters }, "Clear filters")
        : document.body.dataset.dev === "true" ? h("p", null, "Try ", h("code", { class: "cmd" }, "npm run demo"), " to start a few.") : null);
  }
}
`;

export const SCRIPT_HEAD = RENDER_JS + STATE_JS;
