/**
 * Every icon of the page as 16×16 stroked paths, in one table: the shell draws some of them on the server
 * (hono/jsx) and the client draws the rest in the browser, from the same shapes. Each status has its own
 * shape (typed by the model's `Status`, so a new status cannot ship without one): colour is never the only
 * signal of a status.
 */
import type { Status } from "../actions/model";

const CIRCLE = "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11z";
const CLOCK = [CIRCLE, "M8 5v3.2l2.1 1.3"];

const STATUS_ICONS: Record<Status, readonly string[]> = {
  not_started: [CIRCLE],
  scheduled: CLOCK,
  in_progress: ["M8 2.5a5.5 5.5 0 1 1-5.5 5.5"],
  completed: [CIRCLE, "M5.6 8.2l1.7 1.7 3.2-3.5"],
  completed_with_errors: ["M8 2.3l6 10.5H2z", "M8 6.4v2.9", "M8 11.1v.2"],
  cancelled: [CIRCLE, "M4.2 11.8l7.6-7.6"],
  failed: [CIRCLE, "M6 6l4 4M10 6l-4 4"],
  timeout: [
    "M4.5 2.5h7M4.5 13.5h7",
    "M5.3 2.5c0 3 5.4 2.6 5.4 5.5s-5.4 2.5-5.4 5.5M10.7 2.5c0 3-5.4 2.6-5.4 5.5s5.4 2.5 5.4 5.5",
  ],
};

export const ICONS = {
  ...STATUS_ICONS,
  copy: ["M5.5 5.5h7v7h-7z", "M3.5 10.5v-7h7"],
  check: ["M3.5 8.5l3 3 6-7"],
  file: ["M4 1.8h5l3 3v9.4H4z", "M9 1.8v3h3"],
  download: ["M8 2.5v7.5M4.8 7l3.2 3.2L11.2 7", "M3 13.5h10"],
  clock: CLOCK,
  close: ["M4 4l8 8M12 4l-8 8"],
  inbox: ["M2.5 9l1.8-5.5h7.4L13.5 9v3.5h-11z", "M2.5 9h3.2l.8 1.5h3l.8-1.5h3.2"],
  search: ["M7 2.8a4.2 4.2 0 1 0 0 8.4a4.2 4.2 0 1 0 0-8.4z", "M10.2 10.2l3.3 3.3"],
  logo: ["M2.5 4.5h7M2.5 8h11M2.5 11.5h5", "M11 3l1.5 1.5L15 2"],
  lock: [
    "M4.5 7h7a1.5 1.5 0 0 1 1.5 1.5v4a1.5 1.5 0 0 1-1.5 1.5h-7A1.5 1.5 0 0 1 3 12.5v-4A1.5 1.5 0 0 1 4.5 7z",
    "M5.5 7V5a2.5 2.5 0 0 1 5 0v2",
  ],
} satisfies Record<string, readonly string[]>;

export type IconName = keyof typeof ICONS;

/** The attributes every icon's `<svg>` has (decorative: its text is next to it). */
export const ICON_SVG = { viewBox: "0 0 16 16", class: "icon", "aria-hidden": "true" } as const;
