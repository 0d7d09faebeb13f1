/**
 * The detail view of one action: a modal sheet opened from its row (click, or Enter on the row's link)
 * or by `?ref=` in the address. Each opening from the page is a history entry, so Back closes it (or
 * returns to the action seen before), Forward reopens it, and closing (Escape, the close button, a click
 * beside the sheet) goes back to where the list was. Focus moves into the sheet and returns to the row.
 *
 * It is one more subscriber of the page's one stream: every frame of changes re-renders the shown
 * action, and each part of the sheet is rebuilt only when what it shows changed (a link keeps its focus
 * while the progress above it moves every second). Status changes are announced politely.
 */
import type { ActionView } from "../../actions/view";
import { badge, marks, statusNews } from "./cells";
import { downloads, summary, timeline } from "./detail-parts";
import { type Child, h, icon, plainClick, present } from "./dom";
import { addressOf } from "./filters";
import type { RateBook } from "./rate";
import { Relations, stepLabel } from "./relations";
import { ReportRows } from "./report-rows";
import { refButton } from "./row";
import { ui } from "./shell";
import type { ActionChange, ActionStore } from "./store";

/** A part of the sheet, rebuilt only when its key changes (a null build hides it). */
class Part {
  private key: string | null = null;
  constructor(readonly el: HTMLElement) {}
  show(key: string, build: () => Child[] | null): void {
    if (key === this.key) return;
    this.key = key;
    const kids = build();
    this.el.hidden = !kids;
    if (kids) this.el.replaceChildren(...present(kids));
  }
  reset(): void {
    this.key = null;
  }
}

/** The address with `ref` set (or removed), keeping the list's filters. */
export function addressWith(ref: string | null): string {
  const query = new URLSearchParams(location.search);
  if (ref) query.set("ref", ref);
  else query.delete("ref");
  return addressOf(query);
}

/** How many detail entries this history entry is above the list's (0: the list, or a link opened as is). */
const depth = (): number => {
  const state: unknown = history.state;
  return typeof state === "object" && state && "detail" in state ? Number(state.detail) || 0 : 0;
};

export interface DetailSources {
  store: ActionStore;
  rates: RateBook;
  /** Hands a fetched view to the stream's queue (so every subscriber sees it). */
  queue: (view: ActionView) => void;
  /** The view of an action, fetched when the page does not have it; null (after saying so) when not found. */
  find: (ref: string) => Promise<ActionView | null>;
}

export class DetailView {
  private ref: string | null = null;
  private status = "";
  private returnTo: HTMLElement | null = null;
  private closing = false;
  private readonly head = new Part(ui.detailMeta);
  private readonly parts = ["summary", "downloads", "related", "timeline", "rows"].map(
    (name) => new Part(h("section", { class: "part", "data-part": name })),
  );
  private readonly rows = new ReportRows(() => this.render());
  private readonly relations: Relations;

  constructor(private readonly sources: DetailSources) {
    this.relations = new Relations(sources.store, sources.queue);
    ui.detailBody.replaceChildren(...this.parts.map((part) => part.el));
    ui.detailClose.addEventListener("click", () => this.close());
    ui.detail.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.close();
    });
    // The browser may close a modal itself (an Escape it does not let the page refuse): follow it. The event
    // comes a task later, so the sheet may be open again by then (Back then Forward): that close is done.
    ui.detail.addEventListener("close", () => {
      if (this.ref && !ui.detail.open) this.close();
    });
    ui.detail.addEventListener("click", (event) => this.onClick(event));
    window.addEventListener("popstate", () => this.followAddress().catch(() => {}));
  }

  /** The reference ID shown, or null when closed. */
  get shown(): string | null {
    return this.ref;
  }

  /** From a row: a new history entry; focus returns to `from` when the view closes. */
  openFrom(ref: string, from: HTMLElement): void {
    this.returnTo = from;
    this.go(ref);
  }

  /** From the address the page was opened with (no new entry). */
  openLink(ref: string, from: HTMLElement | null): Promise<boolean> {
    this.returnTo = from;
    return this.show(ref);
  }

  close(): void {
    const steps = depth();
    if (steps > 0) {
      this.closing = true;
      history.go(-steps);
      return;
    }
    history.replaceState(null, "", addressWith(null));
    this.hide();
  }

  /** One frame of the stream's changes. */
  apply(changes: readonly ActionChange[]): void {
    for (const { view } of changes) this.relations.notice(view);
    const v = this.ref ? this.sources.store.get(this.ref) : undefined;
    if (!v) return;
    if (v.status !== this.status) {
      this.status = v.status;
      ui.detailSaid.textContent = statusNews(v);
    }
    this.render();
  }

  private go(ref: string): void {
    history.pushState({ detail: depth() + 1 }, "", addressWith(ref));
    this.show(ref).catch(() => {});
  }

  private async followAddress(): Promise<void> {
    const ref = new URLSearchParams(location.search).get("ref");
    if (this.closing || !ref) {
      // Back at the entry the view was first opened from: a link opened as is loses its `ref` there.
      if (this.closing && ref) history.replaceState(null, "", addressWith(null));
      this.closing = false;
      this.hide();
      return;
    }
    await this.show(ref);
  }

  private async show(wanted: string): Promise<boolean> {
    const v = await this.sources.find(wanted);
    if (!v) {
      this.hide();
      return false;
    }
    const fresh = v.referenceId !== this.ref;
    if (fresh) {
      this.ref = v.referenceId;
      this.status = v.status;
      ui.detailSaid.textContent = "";
      for (const part of [this.head, ...this.parts]) part.reset();
      this.relations.open(v);
    }
    this.render();
    if (!ui.detail.open) ui.detail.showModal();
    if (fresh) {
      ui.detail.dataset.ref = v.referenceId;
      ui.detailBody.scrollTop = 0;
      ui.detail.focus();
    }
    return true;
  }

  /**
   * Closes the sheet and returns focus, leaving the address alone (after a sign-out, signing in again
   * comes back to the same address, so the same view).
   */
  hide(): void {
    const ref = this.ref;
    if (!ref) return;
    this.ref = null;
    if (ui.detail.open) ui.detail.close();
    const back = this.returnTo?.isConnected
      ? this.returnTo
      : document.querySelector<HTMLElement>(`tr[data-ref="${ref}"]`);
    back?.focus();
    this.returnTo = null;
  }

  /** Links to related actions open in the sheet; a click beside the sheet (its backdrop) closes it. */
  private onClick(event: MouseEvent): void {
    const target = event.target as Element;
    const link = target.closest<HTMLAnchorElement>("a[data-open]");
    if (link) {
      if (!plainClick(event)) return;
      event.preventDefault();
      this.go(link.dataset.open!);
      return;
    }
    const box = ui.detail.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY <= box.bottom;
    if (target === ui.detail && !inside) this.close();
  }

  private render(): void {
    const v = this.ref ? this.sources.store.get(this.ref) : undefined;
    if (!v) return;
    const [summaryPart, downloadsPart, relatedPart, timelinePart, rowsPart] = this.parts as [
      Part,
      Part,
      Part,
      Part,
      Part,
    ];
    this.rows.sync(v);
    const estimate = this.sources.rates.estimate(v.referenceId, v.progress.total);
    this.head.show(`${v.referenceId}/${v.status}/${v.dryRun}/${v.fileName}`, () => {
      ui.detailTitle.replaceChildren(v.typeLabel, h("span", { class: "sr-only" }, ` ${v.referenceId}`));
      return [
        badge(v),
        ...marks(v, stepLabel(v)),
        refButton(v.referenceId),
        v.fileName ? h("span", { class: "sub" }, icon("file"), h("span", null, v.fileName)) : null,
      ];
    });
    summaryPart.show(
      JSON.stringify([v.status, v.progress, v.failureReason, v.completedAt, v.dryRun, estimate]),
      () => summary(v, estimate),
    );
    downloadsPart.show(JSON.stringify([v.errorReport, v.failedRows, v.status]), () => downloads(v));
    rowsPart.show(`${this.rows.key}/${v.status}/${JSON.stringify(v.errorReport)}`, () => this.rows.render(v));
    relatedPart.show(this.relations.key(v), () => this.relations.render(v));
    timelinePart.show(JSON.stringify(v.timeline), () => timeline(v.timeline));
  }
}
