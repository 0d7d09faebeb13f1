/**
 * One table row per action, keyed by reference ID: built once, then patched in place (only the cells
 * that can change are refilled), so a live row keeps its focus, its copy button's state and its place.
 */
import type { ActionView } from "../../actions/view";
import { actionCell, badge, progressCell, reportCell, timeEl } from "./cells";
import { h, icon, plainClick, present } from "./dom";
import { announce } from "./shell";

/** Labels for the stacked layout of narrow screens (the header row is hidden there). */
const CELL_LABELS = [null, null, null, "Progress", "Requested", "Completed", "Error report"];

/** Copies with the async Clipboard API, or the selection fallback on plain-HTTP origins. */
async function copyText(text: string): Promise<boolean> {
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

/** The reference ID as a button that copies it, with a short "Copied" tip and announcement. */
export function refButton(ref: string): HTMLButtonElement {
  const tip = h("span", { class: "tip", hidden: true }, "Copied");
  const button = h(
    "button",
    { type: "button", class: "ref", title: "Copy reference ID", "aria-label": `Copy reference ID ${ref}` },
    h("span", null, ref),
    icon("copy"),
    tip,
  );
  const showIcon = (name: "copy" | "check") => button.replaceChild(icon(name), button.children[1]!);
  let timer = 0;
  button.addEventListener("click", async () => {
    const ok = await copyText(ref);
    tip.textContent = ok ? "Copied" : "Copy failed";
    tip.hidden = false;
    button.classList.toggle("copied", ok);
    showIcon(ok ? "check" : "copy");
    announce(ok ? `Reference ID ${ref} copied.` : `Could not copy ${ref}.`);
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      tip.hidden = true;
      button.classList.remove("copied");
      showIcon("copy");
    }, 1600);
  });
  return button;
}

/** Refills the cells of an action's row that can change. */
export function fillRow(tr: HTMLTableRowElement, v: ActionView): void {
  const c = tr.cells;
  tr.dataset.status = v.status;
  // The first cell holds the row's link: rebuilt only when it changes, so a focused link keeps its focus.
  const first = `${v.typeLabel}/${v.steps}/${v.dryRun}/${v.fileName}`;
  if (tr.dataset.first !== first) {
    tr.dataset.first = first;
    c[0]!.replaceChildren(...present(actionCell(v)));
  }
  c[2]!.replaceChildren(badge(v));
  c[3]!.className = "progress";
  c[3]!.replaceChildren(...present(progressCell(v)));
  c[4]!.replaceChildren(timeEl(v.createdAt));
  c[5]!.replaceChildren(timeEl(v.completedAt));
  c[6]!.replaceChildren(...present(reportCell(v)));
}

/** Builds an action's row once; later changes go through `fillRow`. */
export function createRow(v: ActionView): HTMLTableRowElement {
  const tr = h("tr", { "data-ref": v.referenceId, tabindex: "-1" });
  for (const label of CELL_LABELS) tr.append(h("td", { "data-label": label }));
  tr.cells[1]!.append(refButton(v.referenceId));
  fillRow(tr, v);
  return tr;
}

/** A brief highlight of a row that just changed status or appeared. */
export function flash(tr: HTMLElement): void {
  tr.classList.add("flash");
  setTimeout(() => tr.classList.remove("flash"), 900);
}

/**
 * Opens an action's detail view from its row: a click anywhere on the row that is not on one of its
 * controls (and not the end of a text selection), its link (Enter or click; a modified click opens the
 * link's own address in a new tab as usual), or Enter on the row itself (where focus returns to).
 */
export function openOnActivate(table: HTMLTableElement, open: (ref: string, row: HTMLElement) => void): void {
  const rowOf = (target: EventTarget | null) =>
    target instanceof Element ? target.closest<HTMLTableRowElement>("tr[data-ref]") : null;
  table.addEventListener("click", (event) => {
    const tr = rowOf(event.target);
    if (!tr || !plainClick(event)) return;
    const control = (event.target as Element).closest("a, button");
    if (control && !control.matches("a.open")) return;
    if (!control && getSelection()?.toString()) return;
    event.preventDefault();
    open(tr.dataset.ref!, control instanceof HTMLElement ? control : tr);
  });
  table.addEventListener("keydown", (event) => {
    const tr = rowOf(event.target);
    if (tr && event.target === tr && event.key === "Enter") open(tr.dataset.ref!, tr);
  });
}
