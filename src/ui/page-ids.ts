/**
 * The ids of the shell's elements that the client script finds and fills: one list for the markup
 * (page.tsx) and the script (client/shell.ts), so the two cannot drift apart.
 */
export const PAGE_IDS = {
  main: "main",
  live: "live",
  liveText: "live-text",
  who: "who",
  signOut: "sign-out",
  notice: "notice",
  signedOut: "signed-out",
  signedOutText: "signed-out-text",
  devSignIn: "dev-sign-in",
  tracker: "tracker",
  status: "f-status",
  type: "f-type",
  clear: "clear",
  timeZone: "tz",
  table: "table",
  empty: "empty",
  count: "count",
  more: "more",
  announcer: "announcer",
  detail: "detail",
  detailTitle: "detail-title",
  detailMeta: "detail-meta",
  detailClose: "detail-close",
  detailBody: "detail-body",
  detailSaid: "detail-said",
} as const;
