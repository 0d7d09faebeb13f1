/**
 * The tracker page's script (bundled by ../bundle/build.ts into one minified file): wires the shell's
 * controls, checks who is signed in, then opens the one live stream and loads the first page.
 *
 * The pieces: `store` keeps the newest view of each action; `live` feeds it from the stream and hands each
 * frame's changes to its subscribers; `list` is one such subscriber. A view of one action subscribes the
 * same way, so the page keeps a single EventSource whatever it shows: the rate meters and the detail view
 * of one action (opened from a row or by `?ref=`) are two more.
 */
import { DetailView } from "./detail";
import { clearFilters, restoreFilters, syncUrl } from "./filters";
import { timeZoneName } from "./format";
import { ActionList } from "./list";
import { LiveStream } from "./live";
import { RateBook } from "./rate";
import { openOnActivate } from "./row";
import { checkSession, isSignedIn, onSignedOut, type SessionPerson, signOut } from "./session";
import { showNotice, ui } from "./shell";
import { ActionStore } from "./store";
import { findAction, showTarget } from "./target";

const params = new URLSearchParams(location.search);
const target = params.get("ref");

const store = new ActionStore();
const list = new ActionList(store, showAll);
const live = new LiveStream(store, {
  checkSession: async () => isSignedIn() && (await checkSession()) !== null,
  onReopen: () => list.firstPage(),
});
const rates = new RateBook();
const detail = new DetailView({
  store,
  rates,
  queue: (view) => live.queue(view),
  find: (ref) => findAction(store, ref),
});
live.subscribe((changes) => {
  const now = performance.now();
  for (const { view: v } of changes) {
    rates.observe(v.referenceId, v.status === "in_progress", v.progress.processed, now);
  }
});
live.subscribe((changes) => list.apply(changes));
live.subscribe((changes) => detail.apply(changes));
onSignedOut(() => {
  live.close();
  detail.hide();
});

function onFilter(): void {
  syncUrl(detail.shown);
  list.startOver();
  list.loadPage(true).catch(() => {});
}

/** "Clear filters": the toolbar's, or the one an empty list offers. */
function showAll(): void {
  clearFilters();
  onFilter();
}

async function start(): Promise<void> {
  ui.timeZone.textContent = `Times in ${timeZoneName}`;
  restoreFilters(params);
  ui.status.addEventListener("change", onFilter);
  ui.type.addEventListener("change", onFilter);
  ui.clear.addEventListener("click", showAll);
  ui.more.addEventListener("click", () => list.loadPage(false).catch(() => {}));
  ui.signOut.addEventListener("click", signOut);
  openOnActivate(ui.table, (ref, from) => detail.openFrom(ref, from));
  let who: SessionPerson | null = null;
  try {
    who = await checkSession();
  } catch {
    showNotice("The tracker could not be reached. Reload the page to try again.");
  }
  if (!who) return;
  list.renderFooter();
  live.connect();
  await list.loadPage(true);
  if (target) await showTarget(target, list, store, detail);
}

start().catch(() => {});
