/**
 * `?ref=` (the link in a completion email): highlights the action's row and scrolls to it, fetching the
 * action when it is not on the loaded page.
 */
import type { ActionView } from "../../actions/view";
import type { ActionList } from "./list";
import { api } from "./session";
import { showNotice } from "./shell";
import type { ActionStore } from "./store";

export async function showTarget(wanted: string, list: ActionList, store: ActionStore): Promise<void> {
  let ref = wanted.trim().toUpperCase();
  if (!list.has(ref)) {
    const res = await api(`/v1/actions/${encodeURIComponent(ref)}`);
    if (res.status === 404 || res.status === 400) {
      showNotice(
        "warn",
        `No action ${wanted} was found among yours. Check the reference ID; actions started by someone else are not shown.`,
      );
      return;
    }
    if (!res.ok) return;
    const v = (await res.json()) as ActionView;
    ref = v.referenceId;
    store.accept(v);
    if (!list.has(ref)) {
      list.insert(ref);
      list.render();
    }
  }
  const tr = list.rowOf(ref);
  tr.classList.add("target");
  tr.setAttribute("aria-current", "true");
  tr.focus({ preventScroll: true });
  const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
  tr.scrollIntoView({ block: "center", behavior: calm ? "auto" : "smooth" });
}
