/**
 * The tracker page's HTML shell (hono/jsx, so every value is escaped by the renderer): static markup the
 * client script fills in. It holds no data (so it can be cached and revalidated cheaply); the only
 * variation is whether the development sign-in link may be offered. The filter options come from the
 * action model, so they never drift from the API's vocabulary.
 */
import { ACTION_TYPES, STATUS_LABELS, STATUSES, type Status, TYPE_LABELS } from "../actions/model";
import { ICON_SVG, ICONS, type IconName } from "./icons";
import { PAGE_IDS as ID } from "./page-ids";

const FAVICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#3451d1"/><path d="M4 5.5h5M4 8h8M4 10.5h4" stroke="#fff" stroke-width="1.5" stroke-linecap="round"/></svg>',
  );

/** Status filter groups offered before the single statuses (values are the API's comma lists). */
const STATUS_GROUPS: [label: string, statuses: Status[]][] = [
  ["Active", ["not_started", "scheduled", "in_progress"]],
  ["Needs attention", ["completed_with_errors", "failed", "timeout"]],
];

const COLUMNS = ["Action", "Reference", "Status", "Progress", "Requested", "Completed", "Error report"];
const COLUMN_CLASSES = ["c-action", "c-ref", "c-status", "c-progress", "c-time", "c-time", "c-report"];

const Icon = ({ name }: { name: IconName }) => (
  // biome-ignore lint/a11y/noSvgWithoutTitle: decorative, ICON_SVG has aria-hidden (its text is beside it)
  <svg {...ICON_SVG}>
    {ICONS[name].map((d) => (
      <path d={d} />
    ))}
  </svg>
);

const Filters = () => (
  <search class="toolbar" aria-label="Filter actions">
    <label>
      Status{" "}
      <select id={ID.status}>
        <option value="">Any status</option>
        <optgroup label="Groups">
          {STATUS_GROUPS.map(([label, statuses]) => (
            <option value={statuses.join(",")}>{label}</option>
          ))}
        </optgroup>
        <optgroup label="Status">
          {STATUSES.map((s) => (
            <option value={s}>{STATUS_LABELS[s]}</option>
          ))}
        </optgroup>
      </select>
    </label>
    <label>
      Type{" "}
      <select id={ID.type}>
        <option value="">Any type</option>
        {ACTION_TYPES.map((t) => (
          <option value={t}>{TYPE_LABELS[t]}</option>
        ))}
      </select>
    </label>
    <button id={ID.clear} class="btn link" type="button" hidden>
      Clear filters
    </button>
    <span id={ID.timeZone} class="tz" />
  </search>
);

const Table = () => (
  <div class="wrap">
    <table id={ID.table}>
      <caption class="sr-only">Your bulk actions, newest first</caption>
      <colgroup>
        {COLUMN_CLASSES.map((name) => (
          <col class={name} />
        ))}
      </colgroup>
      <thead>
        <tr>
          {COLUMNS.map((title) => (
            <th scope="col">{title}</th>
          ))}
        </tr>
      </thead>
    </table>
    <div id={ID.empty} class="empty" hidden />
  </div>
);

const TopBar = () => (
  <header class="topbar">
    <div class="brand">
      <span class="logo">
        <Icon name="logo" />
      </span>
      <span>Action tracker</span>
    </div>
    <div class="end">
      <span id={ID.live} class="live" data-state="connecting" hidden>
        <i aria-hidden="true" />
        <span class="sr-only">Connection: </span>
        <span id={ID.liveText}>Connecting…</span>
      </span>
      <span id={ID.who} class="who" hidden />
      <button id={ID.signOut} class="btn" type="button" hidden>
        Sign out
      </button>
    </div>
  </header>
);

const SignedOut = () => (
  <section id={ID.signedOut} class="card empty" hidden aria-labelledby="signed-out-title">
    <div class="art">
      <Icon name="lock" />
    </div>
    <h2 id="signed-out-title">You are signed out</h2>
    <p id={ID.signedOutText}>Open the action tracker from your learning portal to sign in.</p>
    <a id={ID.devSignIn} class="btn primary" href="/dev/sign-in" hidden>
      Sign in as the demo admin
    </a>
  </section>
);

/**
 * The detail view of one action: a modal sheet (a labelled dialog; Escape closes it, focus stays inside)
 * that the client fills. Its own polite live region, since the page's is behind the modal.
 */
const Detail = () => (
  <dialog id={ID.detail} class="sheet" aria-labelledby={ID.detailTitle} tabindex={-1}>
    <header class="sheet-head">
      <div>
        <h2 id={ID.detailTitle}>Action</h2>
        <div id={ID.detailMeta} class="meta" />
      </div>
      <button id={ID.detailClose} class="btn close" type="button" aria-label="Close the details">
        <Icon name="close" />
      </button>
    </header>
    <div id={ID.detailBody} class="sheet-body" />
    <div id={ID.detailSaid} class="sr-only" role="status" aria-live="polite" />
  </dialog>
);

export interface PageOptions {
  cssPath: string;
  jsPath: string;
  /** Offer the one-click demo sign-in (development only). */
  devSignIn: boolean;
}

const Page = ({ cssPath, jsPath, devSignIn }: PageOptions) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <meta name="referrer" content="same-origin" />
      <title>Bulk actions · Action tracker</title>
      <link rel="icon" href={FAVICON} />
      <link rel="stylesheet" href={cssPath} />
      <script src={jsPath} defer />
    </head>
    <body data-dev={devSignIn ? "true" : "false"}>
      <a class="skip" href={`#${ID.main}`}>
        Skip to your actions
      </a>
      <TopBar />
      <main id={ID.main} tabindex={-1}>
        <div class="head">
          <h1>Bulk actions</h1>
          <p>Everything you started in this portal, newest first. Rows update live as actions run.</p>
        </div>
        <div id={ID.notice} class="notice" hidden />
        <SignedOut />
        <section id={ID.tracker} class="card" hidden aria-label="Your bulk actions">
          <Filters />
          <Table />
          <div class="foot">
            <span id={ID.count} aria-live="polite" />
            <button id={ID.more} class="btn" type="button" hidden>
              Load more
            </button>
          </div>
        </section>
        <div id={ID.announcer} class="sr-only" role="status" aria-live="polite" />
      </main>
      <Detail />
    </body>
  </html>
);

export function renderPage(options: PageOptions): string {
  return `<!doctype html>\n${(<Page {...options} />).toString()}\n`;
}
