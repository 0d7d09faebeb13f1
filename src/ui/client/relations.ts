/**
 * The actions related to the one in the detail view, each linked to its own view: the other step of its
 * task (a content replacement checks, then replaces), the action it retries (`retryOf`) and the actions
 * that retry it (`GET /v1/actions?retryOf=`). What the page has not seen is asked for once when the view
 * opens; later ones (a retry started meanwhile) arrive on the stream like everything else.
 * Fetched views go through the stream's queue, so the list and the store see them the same way.
 */
import type { ActionPage, ActionView } from "../../actions/view";
import { badge } from "./cells";
import { type Child, h } from "./dom";
import { when } from "./format";
import { api } from "./session";
import type { ActionStore } from "./store";

/** Pages of the same type searched for a step the page has not loaded (newest first: it is near). */
const STEP_SEARCH_PAGES = 5;

const STEP_WORK: Record<string, string[]> = {
  content_replace: ["checks the packages", "replaces the content of what passed"],
};

/** "Step 2 of 2 · replaces the content of what passed" (the work is named where the type has steps). */
export const stepLabel = (v: ActionView) => {
  const work = STEP_WORK[v.type]?.[v.step - 1];
  return `Step ${v.step} of ${v.steps}${work ? ` · ${work}` : ""}`;
};

const isOtherStep = (v: ActionView) => (o: ActionView) =>
  o.taskId === v.taskId && o.referenceId !== v.referenceId;

export class Relations {
  private ref: string | null = null;
  private readonly retries = new Set<string>();

  constructor(
    private readonly store: ActionStore,
    private readonly queue: (view: ActionView) => void,
  ) {}

  /** On opening an action: asks for the related actions the page may not have yet. */
  open(v: ActionView): void {
    this.ref = v.referenceId;
    this.retries.clear();
    const ref = v.referenceId;
    this.fetchPage(`retryOf=${encodeURIComponent(ref)}&limit=50`, ref).catch(() => {});
    if (v.retryOf && !this.store.get(v.retryOf)) this.fetchOne(v.retryOf).catch(() => {});
    if (v.taskId && v.steps > 1 && !this.store.find(isOtherStep(v))) this.findStep(v).catch(() => {});
  }

  /** A view from the stream: a retry of the shown action is remembered (its status follows from the store). */
  notice(view: ActionView): void {
    if (this.ref && view.retryOf === this.ref) this.retries.add(view.referenceId);
  }

  /** What the rendering depends on: the related actions and their versions. */
  key(v: ActionView): string {
    return this.related(v)
      .map(([, ref]) => `${ref}@${this.store.get(ref)?.version ?? "?"}`)
      .join(",");
  }

  render(v: ActionView): Child[] | null {
    const related = this.related(v);
    if (!related.length) return null;
    return [
      h("h3", null, "Related actions"),
      h("ul", { class: "related" }, ...related.map(([what, ref]) => this.item(what, ref))),
    ];
  }

  private related(v: ActionView): [what: string, ref: string][] {
    const out: [string, string][] = [];
    const step = v.taskId && v.steps > 1 ? this.store.find(isOtherStep(v)) : undefined;
    if (step) out.push([stepLabel(step), step.referenceId]);
    if (v.retryOf) out.push(["Retry of", v.retryOf]);
    for (const ref of this.retries) out.push(["Retried by", ref]);
    return out;
  }

  private item(what: string, ref: string): HTMLElement {
    const other = this.store.get(ref);
    return h(
      "li",
      null,
      h("span", { class: "what" }, what),
      h("a", { href: `?ref=${ref}`, "data-open": ref, class: "mono" }, ref),
      other ? badge(other) : null,
      other ? h("span", { class: "small muted" }, `requested ${when(other.createdAt, true)}`) : null,
    );
  }

  private async fetchOne(ref: string): Promise<void> {
    const res = await api(`/v1/actions/${encodeURIComponent(ref)}`);
    if (res.ok) this.queue((await res.json()) as ActionView);
  }

  private async fetchPage(query: string, shown: string): Promise<ActionPage | null> {
    const res = await api(`/v1/actions?${query}`);
    if (!res.ok || this.ref !== shown) return null;
    const page = (await res.json()) as ActionPage;
    for (const item of page.items) {
      if (item.retryOf === shown) {
        this.retries.add(item.referenceId);
        this.queue(item);
      }
    }
    return page;
  }

  /** The other step, searched in the newest actions of the same type (both steps are made together). */
  private async findStep(v: ActionView): Promise<void> {
    let cursor = "";
    for (let i = 0; i < STEP_SEARCH_PAGES && this.ref === v.referenceId; i++) {
      const page = await this.fetchPage(`type=${v.type}&limit=200${cursor}`, v.referenceId);
      const step = page?.items.find(isOtherStep(v));
      if (step) return this.queue(step);
      if (!page?.nextCursor) return;
      cursor = `&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
  }
}
