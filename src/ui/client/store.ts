/**
 * The newest known view of every action the page has seen, by reference ID. Views carry a `version`
 * that grows with every change, so an older view (a page loaded before an event, a replayed event) never
 * overwrites a newer one.
 */
import type { ActionView } from "../../actions/view";

/** One accepted change: the new view and the one it replaced (null for an action new to the page). */
export interface ActionChange {
  view: ActionView;
  previous: ActionView | null;
}

export class ActionStore {
  private readonly views = new Map<string, ActionView>();

  get(ref: string): ActionView | undefined {
    return this.views.get(ref);
  }

  /** The first kept view that passes `test` (for the few lookups not by reference ID). */
  find(test: (view: ActionView) => boolean): ActionView | undefined {
    for (const view of this.views.values()) if (test(view)) return view;
    return undefined;
  }

  /** Keeps a newer view; returns the change, or null when the view is not newer than what is kept. */
  accept(view: ActionView): ActionChange | null {
    const previous = this.views.get(view.referenceId) ?? null;
    if (previous && previous.version >= view.version) return null;
    this.views.set(view.referenceId, view);
    return { view, previous };
  }
}
