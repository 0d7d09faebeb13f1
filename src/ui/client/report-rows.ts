/**
 * The first rows of an action's error report, inline in its detail view (`GET …/report-rows?limit=20`),
 * so the usual problem is read without opening a spreadsheet. Fetched when the view opens and again only
 * when the report has grown while fewer than 20 rows are shown (the stream's frames say when: no polling);
 * the first 20 rows of a report never change once there are 20.
 */
import type { ActionView } from "../../actions/view";
import type { ReportItem } from "../../reports/download";
import { safePath } from "../same-origin";
import { type Child, h, icon } from "./dom";
import { num } from "./format";
import { api } from "./session";

export const INLINE_ROWS = 20;

/** A page of `GET /v1/actions/{ref}/report-rows`: lines of the error report, in row order. */
interface RowsPage {
  items: ReportItem[];
  nextCursor: string | null;
}

const cell = (text: string, cls?: string) => h("td", cls ? { class: cls } : null, text);

export class ReportRows {
  private ref: string | null = null;
  private page: RowsPage | null = null;
  /** The report's size and status when it was last asked for: not asked again until they change. */
  private asked = "";
  private loading = false;
  private failed = false;

  /** `onLoaded` re-renders the view (which calls `sync` again, so a report that grew meanwhile is asked for). */
  constructor(private readonly onLoaded: () => void) {}

  /** Called with every view of the shown action: fetches what is missing. */
  sync(v: ActionView): void {
    if (v.referenceId !== this.ref) {
      this.ref = v.referenceId;
      this.page = null;
      this.asked = "";
      this.failed = false;
    }
    const report = v.errorReport;
    if (!report || report.expired || this.loading) return;
    if ((this.page?.items.length ?? 0) >= INLINE_ROWS) return;
    const key = `${v.progress.errors + v.progress.warnings}/${v.status}`;
    if (key === this.asked) return;
    this.asked = key;
    this.load(v.referenceId).catch(() => {});
  }

  private async load(ref: string): Promise<void> {
    this.loading = true;
    try {
      const res = await api(`/v1/actions/${encodeURIComponent(ref)}/report-rows?limit=${INLINE_ROWS}`);
      const page = res.ok ? ((await res.json()) as RowsPage) : null;
      if (ref !== this.ref) return;
      this.page = page ?? this.page;
      this.failed = !page && !this.page;
    } catch {
      if (ref === this.ref) this.failed = !this.page;
    } finally {
      this.loading = false;
      if (ref === this.ref) this.onLoaded();
    }
  }

  /** What changes the rendering (for the view's part keys). */
  get key(): string {
    return `${this.ref}:${this.failed}:${this.page ? `${this.page.items.length}/${this.page.nextCursor}` : "-"}`;
  }

  render(v: ActionView): Child[] | null {
    const report = v.errorReport;
    if (!report || report.expired) return null;
    const head = h("h3", null, "Rows with problems");
    const page = this.page;
    if (!page) {
      const text = this.failed ? "The rows could not be loaded; the report above has them all." : "Loading…";
      return [head, h("p", { class: "small muted" }, text)];
    }
    const table = h(
      "table",
      { class: "rows" },
      h("caption", { class: "sr-only" }, `The first rows of the error report of ${v.referenceId}`),
      h(
        "thead",
        null,
        h("tr", null, ...["Row", "Status", "Identifier", "Issue"].map((t) => h("th", { scope: "col" }, t))),
      ),
      h(
        "tbody",
        null,
        ...page.items.map((r) =>
          h(
            "tr",
            null,
            cell(String(r.row), "num"),
            h(
              "td",
              null,
              h(
                "span",
                { class: `tag s-${r.status === "Error" ? "failed" : "completed_with_errors"}` },
                r.status,
              ),
            ),
            cell(r.identifier, "id mono"),
            h("td", null, r.issue, r.resolution ? h("div", { class: "small muted" }, r.resolution) : null),
          ),
        ),
      ),
    );
    return [head, table, this.footnote(v, page)];
  }

  private footnote(v: ActionView, page: RowsPage): HTMLElement {
    const shown = page.items.length;
    if (!page.nextCursor) {
      return h(
        "p",
        { class: "small muted" },
        shown === 1 ? "This is the only row." : `These are all ${shown} rows.`,
      );
    }
    // While it runs the count moves every second: not shown, so the link here keeps its focus.
    const total = v.progress.errors + v.progress.warnings;
    const lead =
      v.status === "in_progress"
        ? `The first ${shown} rows so far. `
        : `The first ${shown}${total > shown ? ` of ${num.format(total)}` : ""} rows. `;
    const href = safePath(v.errorReport?.url);
    return h(
      "p",
      { class: "small more" },
      lead,
      href ? h("a", { href }, icon("download"), "Download the error report") : null,
      href ? " for all of them." : null,
    );
  }
}
