/**
 * Client script, part 3: loading pages, the live stream, filters, `?ref=` and start-up. Assembles the
 * whole script (parts 1 and 2 before it) into one strict-mode IIFE, served as one hashed asset.
 */
import { SCRIPT_HEAD } from "./page-script";

const LIVE_JS = `
/** Loads the first page (reset) or the next one, for the current filters; stale answers are dropped. */
async function loadPage(reset) {
  const generation = reset ? ++state.generation : state.generation;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (ui.status.value) query.set("status", ui.status.value);
  if (ui.type.value) query.set("type", ui.type.value);
  if (!reset && state.cursor) query.set("cursor", state.cursor);
  ui.more.disabled = true;
  try {
    const res = await api("/v1/actions?" + query);
    if (!res.ok) throw new Error("list failed: " + res.status);
    const page = await res.json();
    if (generation !== state.generation) return;
    if (reset) {
      state.list = [];
      state.listed = new Set();
    }
    for (const v of page.items) {
      const prev = accept(v);
      if (prev) fillRow(rowOf(v.referenceId), v);
      insert(v.referenceId);
    }
    state.cursor = page.nextCursor;
    state.loaded = true;
    renderList();
  } catch (error) {
    if (state.signedIn) showNotice("warn", "The list could not be loaded. Check your connection; it will retry when the stream reconnects.");
    throw error;
  } finally {
    ui.more.disabled = false;
  }
}

const pending = new Map();
let frame = 0;
function onEvent(event) {
  if (event.lastEventId) state.lastEventId = event.lastEventId;
  let v;
  try {
    v = JSON.parse(event.data);
  } catch {
    return;
  }
  queue(v);
}

function queue(v) {
  const queued = pending.get(v.referenceId);
  if (!queued || queued.version < v.version) pending.set(v.referenceId, v);
  if (!frame) frame = requestAnimationFrame(flush);
}

/** Applies the events of one frame: patches rows in place, puts new actions at their place, announces. */
function flush() {
  frame = 0;
  let structure = false;
  const oldest = state.list.length ? state.byRef.get(state.list[state.list.length - 1]).createdAt : "";
  for (const v of pending.values()) {
    const prev = accept(v);
    if (prev === false) continue;
    const ref = v.referenceId;
    if (state.listed.has(ref)) {
      fillRow(rowOf(ref), v);
      if (prev && prev.status !== v.status) {
        announce(v.typeLabel + " " + ref + " is now " + v.statusLabel + ".");
        flash(rowOf(ref));
      }
    } else if (state.loaded && matches(v) && (!state.cursor || v.createdAt >= oldest)) {
      if (state.rows.has(ref)) fillRow(state.rows.get(ref), v);
      insert(ref);
      structure = true;
      announce(v.typeLabel + " " + ref + " is now " + v.statusLabel + ".");
      flash(rowOf(ref));
    }
  }
  pending.clear();
  if (structure) renderList();
  else updateTitle();
}

/** After a reconnect, merges the first page again: covers anything a replay could not (belt and braces). */
async function resync() {
  if (!state.loaded) return;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (ui.status.value) query.set("status", ui.status.value);
  if (ui.type.value) query.set("type", ui.type.value);
  const res = await api("/v1/actions?" + query).catch(() => null);
  if (!res || !res.ok) return;
  for (const v of (await res.json()).items) queue(v);
}

function flash(tr) {
  tr.classList.add("flash");
  setTimeout(() => tr.classList.remove("flash"), 900);
}

/** Opens the one stream. The browser retries dropped connections itself (with Last-Event-ID); when it
 * gives up (CLOSED: an HTTP error), we check the session and reopen from the last event we saw. */
function connect() {
  if (state.es) state.es.close();
  const url = "/v1/events" + (state.lastEventId ? "?lastEventId=" + encodeURIComponent(state.lastEventId) : "");
  const es = new EventSource(url);
  state.es = es;
  setLive("connecting", "Connecting…");
  es.onopen = () => {
    state.retryMs = 1000;
    setLive("live", "Live");
    if (state.opened) resync();
    state.opened = true;
  };
  es.addEventListener("action.status", onEvent);
  es.addEventListener("action.progress", onEvent);
  es.onerror = () => {
    if (state.es !== es) return;
    setLive("reconnecting", "Reconnecting…");
    if (es.readyState !== EventSource.CLOSED) return;
    es.close();
    state.es = null;
    const retry = () => {
      if (!state.signedIn) return;
      checkSession().then((who) => who && connect(), () => setTimeout(retry, (state.retryMs = Math.min(state.retryMs * 2, 30000))));
    };
    setTimeout(retry, state.retryMs);
  };
}

/** ?ref=: highlights and scrolls to the action, fetching it when it is not on the loaded page. */
async function showTarget() {
  const wanted = state.target;
  if (!wanted) return;
  let ref = wanted.trim().toUpperCase();
  if (!state.listed.has(ref)) {
    const res = await api("/v1/actions/" + encodeURIComponent(ref));
    if (res.status === 404 || res.status === 400) {
      return showNotice("warn", "No action " + wanted + " was found among yours. Check the reference ID; actions started by someone else are not shown.");
    }
    if (!res.ok) return;
    const v = await res.json();
    ref = v.referenceId;
    accept(v);
    if (!state.listed.has(ref)) {
      insert(ref);
      renderList();
    }
  }
  const tr = rowOf(ref);
  tr.classList.add("target");
  tr.setAttribute("aria-current", "true");
  tr.focus({ preventScroll: true });
  const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
  tr.scrollIntoView({ block: "center", behavior: calm ? "auto" : "smooth" });
}

function syncUrl() {
  const query = new URLSearchParams();
  if (ui.status.value) query.set("status", ui.status.value);
  if (ui.type.value) query.set("type", ui.type.value);
  if (state.target) query.set("ref", state.target);
  const search = query.toString();
  history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
}

function onFilter() {
  syncUrl();
  state.loaded = false;
  renderFooter();
  loadPage(true).catch(() => {});
}

function clearFilters() {
  ui.status.value = ui.type.value = "";
  onFilter();
}

function restoreFilters() {
  for (const [select, key] of [[ui.status, "status"], [ui.type, "type"]]) {
    const value = params.get(key);
    if (value && [...select.options].some((o) => o.value === value)) select.value = value;
  }
}

async function signOut() {
  await fetch("/v1/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  signedOut("You signed out. Open the tracker from your learning portal to sign in again.");
}

async function start() {
  $("tz").textContent = "Times in " + timeZone.replace(/_/g, " ");
  restoreFilters();
  ui.status.addEventListener("change", onFilter);
  ui.type.addEventListener("change", onFilter);
  ui.clear.addEventListener("click", clearFilters);
  ui.more.addEventListener("click", () => loadPage(false).catch(() => {}));
  ui.signOut.addEventListener("click", signOut);
  let who = null;
  try {
    who = await checkSession();
  } catch {
    showNotice("warn", "The tracker could not be reached. Reload the page to try again.");
  }
  if (!who) return;
  renderFooter();
  connect();
  await loadPage(true);
  await showTarget();
}

start().catch(() => {});
`;

/** The whole client script. */
export const PAGE_JS = `"use strict";\n(() => {\n${SCRIPT_HEAD}${LIVE_JS}})();\n`;
