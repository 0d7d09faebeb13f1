/**
 * Fixed action views for pictures of states a real run cannot freeze (in progress, timed out, expired):
 * the page stays real and signed in for real; only the API's answers about actions are replaced, in
 * the browser, by these (the list, one action, its report's rows). Typed by the API's own `ActionView`,
 * so a fixture cannot drift from what the API sends.
 */
import type { Page } from "playwright-core";
import type { ActionView } from "../../src/actions/view";
import type { ReportItem } from "../../src/reports/download";
import { ADA } from "./env";

export const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
let version = 0;

export function fixtureAction(
  ref: string,
  over: Partial<ActionView> & Pick<ActionView, "status" | "statusLabel">,
): ActionView {
  return {
    referenceId: ref,
    taskId: null,
    step: 1,
    steps: 1,
    type: "user_upload",
    typeLabel: "User upload",
    requester: { id: ADA.sub, name: ADA.name, email: ADA.email, role: ADA.role },
    fileName: null,
    progress: { total: 0, processed: 0, succeeded: 0, errors: 0, warnings: 0 },
    failureReason: null,
    createdAt: minutesAgo(1),
    scheduledFor: null,
    startedAt: null,
    completedAt: null,
    errorReport: null,
    failedRows: null,
    dryRun: false,
    retryOf: null,
    timeline: [],
    version: ++version,
    ...over,
  };
}

/** A download of an action (`error-report` or `failed-rows`), kept a week or expired a day ago. */
export const fixtureFile = (ref: string, name: string, path = "error-report", expired = false) => ({
  name,
  url: `/v1/actions/${ref}/${path}`,
  expiresAt: new Date(Date.now() + (expired ? -1 : 7) * 86_400_000).toISOString(),
  expired,
});

export const fixtureProgress = (total: number, processed: number, errors = 0, warnings = 0) => ({
  total,
  processed,
  succeeded: processed - errors,
  errors,
  warnings,
});

const json = (body: unknown) => ({
  status: 200,
  contentType: "application/json",
  body: JSON.stringify(body),
});

/**
 * Answers the page's requests about actions from fixtures: the list (any filter: all of them, with a
 * next page promised), one action by reference, `?retryOf=`, and report rows by reference.
 */
export async function serveFixtures(
  page: Page,
  actions: ActionView[],
  reportRows: Record<string, ReportItem[]> = {},
): Promise<void> {
  const byRef = new Map(actions.map((a) => [a.referenceId, a]));
  await page.route(/\/v1\/actions(\/|\?|$)/, (route) => {
    const url = new URL(route.request().url());
    const [, , , ref, sub] = url.pathname.split("/");
    if (!ref) {
      const retryOf = url.searchParams.get("retryOf");
      const items = retryOf ? actions.filter((a) => a.retryOf === retryOf) : actions;
      return route.fulfill(json({ items, nextCursor: retryOf ? null : "MTA" }));
    }
    if (sub === "report-rows") return route.fulfill(json({ items: reportRows[ref] ?? [], nextCursor: null }));
    const found = byRef.get(ref);
    if (!sub && found) return route.fulfill(json(found));
    return route.continue();
  });
}
