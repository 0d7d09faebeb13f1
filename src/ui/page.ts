/**
 * The tracker page's HTML shell: static markup the script fills in. It holds no data (so it can be cached
 * and revalidated cheaply); the only variation is whether the development sign-in link may be offered.
 * The filter options come from the action model, so they never drift from the API's vocabulary.
 */
import { ACTION_TYPES, STATUS_LABELS, STATUSES, TYPE_LABELS } from "../actions/model";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );

const option = (value: string, label: string) =>
  `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`;

/** Status filter: a couple of useful groups first, then every status (values are the API's lists). */
const statusOptions = [
  option("", "Any status"),
  `<optgroup label="Groups">`,
  option("not_started,scheduled,in_progress", "Active"),
  option("completed_with_errors,failed,timeout", "Needs attention"),
  `</optgroup><optgroup label="Status">`,
  ...STATUSES.map((s) => option(s, STATUS_LABELS[s])),
  `</optgroup>`,
].join("");

const typeOptions = [option("", "Any type"), ...ACTION_TYPES.map((t) => option(t, TYPE_LABELS[t]))].join("");

const LOGO =
  '<svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M2.5 4.5h7M2.5 8h11M2.5 11.5h5"/><path d="M11 3l1.5 1.5L15 2"/></svg>';
const FAVICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#3451d1"/><path d="M4 5.5h5M4 8h8M4 10.5h4" stroke="#fff" stroke-width="1.5" stroke-linecap="round"/></svg>',
  );

export interface PageOptions {
  cssPath: string;
  jsPath: string;
  /** Offer the one-click demo sign-in (development only). */
  devSignIn: boolean;
}

export function renderPage({ cssPath, jsPath, devSignIn }: PageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>Bulk actions · Action tracker</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="${escapeHtml(cssPath)}">
<script src="${escapeHtml(jsPath)}" defer></script>
</head>
<body data-dev="${devSignIn ? "true" : "false"}">
<a class="skip" href="#main">Skip to your actions</a>
<header class="topbar">
  <div class="brand"><span class="logo">${LOGO}</span><span>Action tracker</span></div>
  <div class="end">
    <span id="live" class="live" data-state="connecting" hidden><i aria-hidden="true"></i><span class="sr-only">Connection: </span><span id="live-text">Connecting…</span></span>
    <span id="who" class="who" hidden></span>
    <button id="sign-out" class="btn" type="button" hidden>Sign out</button>
  </div>
</header>
<main id="main" tabindex="-1">
  <div class="head">
    <h1>Bulk actions</h1>
    <p>Everything you started in this portal, newest first. Rows update live as actions run.</p>
  </div>
  <div id="notice" class="notice" hidden></div>
  <section id="signed-out" class="card empty" hidden aria-labelledby="signed-out-title">
    <div class="art"><svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><rect x="3" y="7" width="10" height="7" rx="1.5"/><path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2"/></svg></div>
    <h2 id="signed-out-title">You are signed out</h2>
    <p id="signed-out-text">Open the action tracker from your learning portal to sign in.</p>
    <a id="dev-sign-in" class="btn primary" href="/dev/sign-in" hidden>Sign in as the demo admin</a>
  </section>
  <section id="tracker" class="card" hidden aria-label="Your bulk actions">
    <div class="toolbar" role="search" aria-label="Filter actions">
      <label>Status <select id="f-status">${statusOptions}</select></label>
      <label>Type <select id="f-type">${typeOptions}</select></label>
      <button id="clear" class="btn link" type="button" hidden>Clear filters</button>
      <span id="tz" class="tz"></span>
    </div>
    <div class="wrap">
      <table id="table">
        <caption class="sr-only">Your bulk actions, newest first</caption>
        <colgroup><col class="c-action"><col class="c-ref"><col class="c-status"><col class="c-progress"><col class="c-time"><col class="c-time"><col class="c-report"></colgroup>
        <thead><tr><th scope="col">Action</th><th scope="col">Reference</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Requested</th><th scope="col">Completed</th><th scope="col">Error report</th></tr></thead>
      </table>
      <div id="empty" class="empty" hidden></div>
    </div>
    <div class="foot"><span id="count" aria-live="polite"></span><button id="more" class="btn" type="button" hidden>Load more</button></div>
  </section>
  <div id="announcer" class="sr-only" role="status" aria-live="polite"></div>
</main>
</body>
</html>
`;
}
