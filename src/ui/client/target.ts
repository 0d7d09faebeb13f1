/**
 * `?ref=` (the link in a completion email, or a detail view's own address): finds the action, fetching
 * it when the page has not seen it, highlights its row (added to the list when it is not on the loaded
 * page) and opens its detail view. An unknown reference says so, as for someone else's action.
 */
import type { ActionView } from "../../actions/view";
import type { DetailView } from "./detail";
import type { ActionList } from "./list";
import { api } from "./session";
import { showNotice } from "./shell";
import type { ActionStore } from "./store";

/** The view of an action by reference ID (the store's, or fetched into it); null after saying so. */
export async function findAction(store: ActionStore, wanted: string): Promise<ActionView | null> {
  const ref = wanted.trim().toUpperCase();
  const known = store.get(ref);
  if (known) return known;
  const res = await api(`/v1/actions/${encodeURIComponent(ref)}`);
  if (res.status === 404 || res.status === 400) {
    showNotice(
      `No action ${wanted} was found among yours. Check the reference ID; actions started by someone else are not shown.`,
    );
    return null;
  }
  if (!res.ok) return null;
  const view = (await res.json()) as ActionView;
  store.accept(view);
  return store.get(view.referenceId) ?? view;
}

export async function showTarget(
  wanted: string,
  list: ActionList,
  store: ActionStore,
  detail: DetailView,
): Promise<void> {
  const view = await findAction(store, wanted);
  if (!view) return;
  const ref = view.referenceId;
  if (!list.has(ref)) {
    list.insert(ref);
    list.render();
  }
  const tr = list.rowOf(ref);
  tr.classList.add("target");
  tr.setAttribute("aria-current", "true");
  const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
  tr.scrollIntoView({ block: "center", behavior: calm ? "auto" : "smooth" });
  await detail.openLink(ref, tr);
}
