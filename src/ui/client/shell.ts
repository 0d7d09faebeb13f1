/**
 * The shell's elements (rendered by ../page.tsx, found by the shared ids) and the page-wide messages:
 * the connection badge, the notice bar and polite screen-reader announcements.
 */
import { PAGE_IDS as ID } from "../page-ids";
import { byId, h, icon } from "./dom";

export const ui = {
  live: byId(ID.live, HTMLElement),
  liveText: byId(ID.liveText, HTMLElement),
  who: byId(ID.who, HTMLElement),
  signOut: byId(ID.signOut, HTMLButtonElement),
  notice: byId(ID.notice, HTMLElement),
  signedOut: byId(ID.signedOut, HTMLElement),
  signedOutText: byId(ID.signedOutText, HTMLElement),
  devSignIn: byId(ID.devSignIn, HTMLAnchorElement),
  tracker: byId(ID.tracker, HTMLElement),
  status: byId(ID.status, HTMLSelectElement),
  type: byId(ID.type, HTMLSelectElement),
  clear: byId(ID.clear, HTMLButtonElement),
  timeZone: byId(ID.timeZone, HTMLElement),
  table: byId(ID.table, HTMLTableElement),
  empty: byId(ID.empty, HTMLElement),
  count: byId(ID.count, HTMLElement),
  more: byId(ID.more, HTMLButtonElement),
  announcer: byId(ID.announcer, HTMLElement),
  detail: byId(ID.detail, HTMLDialogElement),
  detailTitle: byId(ID.detailTitle, HTMLElement),
  detailMeta: byId(ID.detailMeta, HTMLElement),
  detailClose: byId(ID.detailClose, HTMLButtonElement),
  detailBody: byId(ID.detailBody, HTMLElement),
  detailSaid: byId(ID.detailSaid, HTMLElement),
};

/** Development only: the shell offers the one-click demo sign-in. */
export const isDev = document.body.dataset.dev === "true";

let announceTimer = 0;
let announceQueue: string[] = [];

/** Polite announcements, batched so a burst of changes is read as one message. */
export function announce(text: string): void {
  announceQueue.push(text);
  clearTimeout(announceTimer);
  announceTimer = window.setTimeout(() => {
    ui.announcer.textContent = announceQueue.slice(-5).join(" ");
    announceQueue = [];
  }, 250);
}

export type LiveState = "connecting" | "live" | "reconnecting" | "offline";

/** The connection badge in the top bar. */
export function setLive(mode: LiveState, text: string): void {
  ui.live.hidden = false;
  ui.live.dataset.state = mode;
  ui.liveText.textContent = text;
}

/** The dismissable notice above the list: something went wrong, or was not found. */
export function showNotice(text: string): void {
  ui.notice.replaceChildren(
    icon("completed_with_errors"),
    h("p", null, text),
    h(
      "button",
      {
        type: "button",
        "aria-label": "Dismiss",
        onclick: () => {
          ui.notice.hidden = true;
        },
      },
      icon("close"),
    ),
  );
  ui.notice.hidden = false;
}
