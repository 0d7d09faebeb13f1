/**
 * The list of one's actions, newest first: loaded a page at a time ("Load more"), filtered, and kept
 * live by the stream's changes. Each action (or each task: its steps together) is one `<tbody>`, kept by
 * key, and the layout moves only what changed: loading a page appends, a new action inserts one block at
 * the top, so a thousand rows are never rebuilt (or laid out) at once.
 */
import type { ActionPage, ActionView } from "../../actions/view";
import { statusNews } from "./cells";
import { h, icon } from "./dom";
import { isFiltered, listQuery, matches } from "./filters";
import { num } from "./format";
import { createRow, fillRow, flash } from "./row";
import { api, isSignedIn } from "./session";
import { announce, isDev, showNotice, ui } from "./shell";
import type { ActionChange, ActionStore } from "./store";

export const PAGE_SIZE = 100;
const TITLE = "Bulk actions · Action tracker";

export class ActionList {
  /** Reference IDs shown, newest first. */
  private refs: string[] = [];
  private listed = new Set<string>();
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly blocks = new Map<string, HTMLTableSectionElement>();
  private cursor: string | null = null;
  private loaded = false;
  /** Bumped by every reload, so the answer to an older request is dropped. */
  private generation = 0;

  constructor(
    private readonly store: ActionStore,
    private readonly onClearFilters: () => void,
  ) {}

  has(ref: string): boolean {
    return this.listed.has(ref);
  }

  /** The row of an action (built on first use). */
  rowOf(ref: string): HTMLTableRowElement {
    let tr = this.rows.get(ref);
    if (!tr) {
      tr = createRow(this.view(ref));
      this.rows.set(ref, tr);
    }
    return tr;
  }

  /** Puts a ref into the shown list at its place by creation time (newest first); pages append. */
  insert(ref: string): void {
    if (this.listed.has(ref)) return;
    const created = this.view(ref).createdAt;
    const n = this.refs.length;
    let i = n;
    if (n && this.view(this.refs[n - 1]!).createdAt < created) {
      i = 0;
      while (i < n && this.view(this.refs[i]!).createdAt >= created) i++;
    }
    this.refs.splice(i, 0, ref);
    this.listed.add(ref);
  }

  /** Shows "Loading…" until the next first page replaces what is shown (rows are kept for reuse). */
  startOver(): void {
    this.loaded = false;
    this.renderFooter();
  }

  /** Loads the first page (reset) or the next one, for the current filters; stale answers are dropped. */
  async loadPage(reset: boolean): Promise<void> {
    const generation = reset ? ++this.generation : this.generation;
    ui.more.disabled = true;
    try {
      const res = await api(`/v1/actions?${listQuery(PAGE_SIZE, reset ? null : this.cursor)}`);
      if (!res.ok) throw new Error(`list failed: ${res.status}`);
      const page = (await res.json()) as ActionPage;
      if (generation !== this.generation) return;
      if (reset) {
        this.refs = [];
        this.listed = new Set();
      }
      for (const v of page.items) {
        if (this.store.accept(v)?.previous) fillRow(this.rowOf(v.referenceId), v);
        this.insert(v.referenceId);
      }
      this.cursor = page.nextCursor;
      this.loaded = true;
      this.render();
    } catch (error) {
      if (isSignedIn()) {
        showNotice(
          "The list could not be loaded. Check your connection; it will retry when the stream reconnects.",
        );
      }
      throw error;
    } finally {
      ui.more.disabled = false;
    }
  }

  /** The first page again, for the stream to merge after a reconnect (null when it could not be had). */
  async firstPage(): Promise<ActionView[] | null> {
    if (!this.loaded) return null;
    const res = await api(`/v1/actions?${listQuery(PAGE_SIZE)}`).catch(() => null);
    if (!res?.ok) return null;
    return ((await res.json()) as ActionPage).items;
  }

  /** Applies one frame of changes: patches rows in place, puts new matching actions at their place. */
  apply(changes: readonly ActionChange[]): void {
    let structure = false;
    const last = this.refs[this.refs.length - 1];
    const oldest = last ? this.view(last).createdAt : "";
    for (const { view: v, previous } of changes) {
      const ref = v.referenceId;
      if (this.listed.has(ref)) {
        fillRow(this.rowOf(ref), v);
        if (previous && previous.status !== v.status) this.announceChange(v);
      } else if (this.loaded && matches(v) && (!this.cursor || v.createdAt >= oldest)) {
        const kept = this.rows.get(ref);
        if (kept) fillRow(kept, v);
        this.insert(ref);
        structure = true;
        this.announceChange(v);
      }
    }
    if (structure) this.render();
    else this.updateTitle();
  }

  /** Lays out the shown rows, moving only the blocks that changed place. */
  render(): void {
    const tasks = new Map<string, ActionView[]>();
    for (const ref of this.refs) {
      const v = this.view(ref);
      if (v.taskId && v.steps > 1) {
        const steps = tasks.get(v.taskId) ?? [];
        steps.push(v);
        tasks.set(v.taskId, steps);
      }
    }
    const wanted: HTMLTableSectionElement[] = [];
    const placed = new Set<string>();
    for (const ref of this.refs) {
      const v = this.view(ref);
      const steps = v.taskId ? tasks.get(v.taskId) : undefined;
      if (v.taskId && steps && steps.length > 1) {
        if (placed.has(v.taskId)) continue;
        placed.add(v.taskId);
        const inOrder = steps.sort((a, b) => a.step - b.step).map((s) => s.referenceId);
        wanted.push(this.blockOf(`T:${v.taskId}`, inOrder, v));
      } else {
        wanted.push(this.blockOf(`R:${ref}`, [ref], null));
      }
    }
    let node = ui.table.tHead?.nextSibling ?? null;
    for (const body of wanted) {
      if (node === body) node = node.nextSibling;
      else ui.table.insertBefore(body, node);
    }
    while (node) {
      const next: ChildNode | null = node.nextSibling;
      node.remove();
      node = next;
    }
    this.renderFooter();
  }

  /** The count, "Load more", and the empty state (with a way out of it). */
  renderFooter(): void {
    this.updateTitle();
    const n = this.refs.length;
    const filtered = isFiltered();
    ui.clear.hidden = !filtered;
    ui.more.hidden = !this.cursor;
    const noun = `action${n === 1 ? "" : "s"}${this.cursor ? " so far" : ""}`;
    ui.count.textContent = !this.loaded
      ? "Loading…"
      : n === 0
        ? ""
        : `Showing ${num.format(n)}${filtered ? " matching" : ""} ${noun}`;
    ui.empty.hidden = !this.loaded || n > 0;
    ui.table.hidden = this.loaded && n === 0;
    if (ui.empty.hidden) return;
    const hint = filtered
      ? h("button", { type: "button", class: "btn", onclick: this.onClearFilters }, "Clear filters")
      : isDev
        ? h("p", null, "Try ", h("code", { class: "cmd" }, "npm run demo"), " to start a few.")
        : null;
    ui.empty.replaceChildren(
      h("div", { class: "art" }, icon(filtered ? "search" : "inbox")),
      h("h2", null, filtered ? "No actions match these filters" : "No bulk actions yet"),
      h(
        "p",
        null,
        filtered
          ? "Try another status or type."
          : "Actions you start in the portal appear here and update as they run.",
      ),
      ...(hint ? [hint] : []),
    );
  }

  /** The tab title counts running actions, so a background tab shows when work is done. */
  updateTitle(): void {
    let running = 0;
    for (const ref of this.refs) if (this.view(ref).status === "in_progress") running++;
    document.title = running ? `(${running} running) ${TITLE}` : TITLE;
  }

  private view(ref: string): ActionView {
    const v = this.store.get(ref);
    if (!v) throw new Error(`no view of ${ref}`);
    return v;
  }

  /** One `<tbody>` per action, or per task (its steps in step order), rebuilt only when its rows change. */
  private blockOf(key: string, refs: string[], task: ActionView | null): HTMLTableSectionElement {
    let body = this.blocks.get(key);
    if (!body) {
      body = task
        ? h("tbody", { class: "task", "aria-label": `${task.typeLabel} task, ${task.steps} steps` })
        : h("tbody");
      this.blocks.set(key, body);
    }
    const rows = refs.map((ref) => this.rowOf(ref));
    const current = body.rows;
    if (rows.length !== current.length || rows.some((tr, i) => current[i] !== tr))
      body.replaceChildren(...rows);
    return body;
  }

  private announceChange(v: ActionView): void {
    announce(statusNews(v));
    flash(this.rowOf(v.referenceId));
  }
}
