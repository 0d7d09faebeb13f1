/**
 * The detail view in the states a real run cannot hold still for a picture: ended with errors (rows,
 * downloads, a retry chain; light, dark and narrow), failed, timed out after a worker resumed it,
 * expired downloads, and scheduled. The page is real and signed in for real; only the answers about
 * actions are fixtures (test/support/view-fixtures.ts). Each picture is of the whole sheet, and each
 * state's telling text is checked, so a picture that silently lost a part fails.
 */
import { expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { ReportItem } from "../../src/reports/download";
import {
  BROWSER_TEST_TIMEOUT,
  describeBrowser,
  openPage,
  pageErrors,
  screenshot,
  signIn,
  useServerAndBrowser,
} from "../support/browser";
import { ADA } from "../support/env";
import type { TestServer } from "../support/server";
import {
  fixtureAction as action,
  fixtureFile as file,
  minutesAgo,
  fixtureProgress as progress,
  serveFixtures,
} from "../support/view-fixtures";

let server: TestServer;
let browser: Browser;

useServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const at = (m: number) => minutesAgo(m);

const WITH_ERRORS = action("BA-2HWP8C6E", {
  status: "completed_with_errors",
  statusLabel: "Completed with errors",
  fileName: "spring-hires.csv",
  progress: progress(240, 240, 7, 3),
  createdAt: at(31),
  startedAt: at(30.9),
  completedAt: at(30.5),
  errorReport: file("BA-2HWP8C6E", "spring-hires-errors.csv"),
  failedRows: file("BA-2HWP8C6E", "spring-hires-to-fix.csv", "failed-rows"),
  retryOf: "BA-E9F7G5H3",
  timeline: [
    { status: "not_started", at: at(31), by: "requester", note: null },
    { status: "in_progress", at: at(30.9), by: "worker", note: null },
    { status: "completed_with_errors", at: at(30.5), by: "worker", note: null },
  ],
});

const RETRY = action("BA-R3TRY0Q2", {
  status: "completed",
  statusLabel: "Completed",
  fileName: "spring-hires-to-fix.csv",
  progress: progress(7, 7),
  createdAt: at(12),
  completedAt: at(11.9),
  retryOf: "BA-2HWP8C6E",
});

const EXPIRED = action("BA-E9F7G5H3", {
  status: "completed_with_errors",
  statusLabel: "Completed with errors",
  fileName: "spring-hires.csv",
  progress: progress(240, 240, 9, 3),
  createdAt: at(20_000),
  startedAt: at(20_000),
  completedAt: at(19_990),
  errorReport: {
    ...file("BA-E9F7G5H3", "spring-hires-errors.csv", "error-report", true),
    expiresAt: at(18_000),
  },
  failedRows: {
    ...file("BA-E9F7G5H3", "spring-hires-to-fix.csv", "failed-rows", true),
    expiresAt: at(18_000),
  },
  timeline: [
    { status: "not_started", at: at(20_000), by: "requester", note: null },
    { status: "in_progress", at: at(20_000), by: "worker", note: null },
    { status: "completed_with_errors", at: at(19_990), by: "worker", note: null },
  ],
});

const FAILED = action("BA-P0Q8R6ST", {
  status: "failed",
  statusLabel: "Failed",
  fileName: "contractors.csv",
  failureReason:
    "The file has no 'email' column. Its first row has 'name', 'role'; a user upload needs 'email'.",
  createdAt: at(1500),
  startedAt: at(1500),
  completedAt: at(1500),
  timeline: [
    { status: "not_started", at: at(1500), by: "requester", note: null },
    { status: "failed", at: at(1500), by: "worker", note: null },
  ],
});

const TIMED_OUT = action("BA-K2M4N6PQ", {
  status: "timeout",
  statusLabel: "Timeout",
  type: "dynamic_rule_start",
  typeLabel: "Dynamic rule start",
  progress: progress(5_000, 3_120),
  failureReason: "It ran longer than 2 hours and was stopped; 3,120 of 5,000 users were evaluated.",
  createdAt: at(3000),
  startedAt: at(2999),
  completedAt: at(2880),
  timeline: [
    { status: "not_started", at: at(3000), by: "requester", note: null },
    { status: "in_progress", at: at(2999), by: "worker", note: null },
    {
      status: "in_progress",
      at: at(2990),
      by: "worker",
      note: "Resumed by another worker with 1,500 of 5,000 done, after the previous one stopped responding.",
    },
    { status: "timeout", at: at(2880), by: "clock", note: null },
  ],
});

const SCHEDULED = action("BA-7K3Q9X2M", {
  status: "scheduled",
  statusLabel: "Scheduled",
  type: "reminder_send",
  typeLabel: "Reminder",
  createdAt: at(9),
  scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
  timeline: [{ status: "scheduled", at: at(9), by: "requester", note: null }],
});

const ROWS: ReportItem[] = [
  [3, "Error", "not-an-email", '"not-an-email" is not a valid email address.', "Correct the email address."],
  [4, "Warning", "linus@example.com", "The last name is empty.", "Fill in the last name."],
  [7, "Error", "ken@example.com", 'The role "wizard" is not known.', "Use learner, manager or admin."],
].map(([row, status, identifier, issue, resolution]) => ({
  row: row as number,
  status: status as ReportItem["status"],
  identifier: identifier as string,
  issue: issue as string,
  resolution: resolution as string,
}));

/** Opens `?ref=` and grows the window to the sheet's whole height, so the picture holds all of it. */
async function openWhole(page: Page, ref: string, width = 1360) {
  await page.setViewportSize({ width, height: 860 });
  await page.goto(`${server.url}/?ref=${ref}`);
  await page.locator(`#detail[open][data-ref="${ref}"]`).waitFor();
  await page.locator("#detail .timeline li").first().waitFor();
  const height = await page.evaluate(() => {
    const sheet = document.getElementById("detail")!;
    const body = document.getElementById("detail-body")!;
    return sheet.scrollHeight + body.scrollHeight - body.clientHeight;
  });
  await page.setViewportSize({ width, height: Math.min(2400, Math.max(860, height)) });
}

const sheetText = (page: Page) =>
  page
    .locator("#detail")
    .textContent()
    .then((text) => text ?? "");

describeBrowser("the detail view, state by state", () => {
  test(
    "ended with errors, failed, timed out after a resume, expired, scheduled: each reads right",
    async () => {
      const { context, page } = await openPage(browser);
      await serveFixtures(page, [SCHEDULED, RETRY, WITH_ERRORS, FAILED, TIMED_OUT, EXPIRED], {
        [WITH_ERRORS.referenceId]: ROWS,
      });
      await signIn(page, server, ADA);

      await openWhole(page, WITH_ERRORS.referenceId);
      await page.locator("#detail table.rows tbody tr").nth(2).waitFor();
      await page.locator("#detail .related li", { hasText: "Retried by" }).waitFor();
      const text = await sheetText(page);
      expect(text).toContain("Retry of");
      expect(text).toContain("BA-E9F7G5H3");
      expect(text).toContain("These are all 3 rows.");
      expect(text).toMatch(/Took\s*24 s/);
      await page.mouse.move(0, 0);
      await screenshot(page, "detail-gallery-with-errors");
      await page.emulateMedia({ colorScheme: "dark" });
      await screenshot(page, "detail-gallery-with-errors-dark");
      await page.emulateMedia({ colorScheme: "light" });
      await openWhole(page, WITH_ERRORS.referenceId, 420);
      await page.locator("#detail table.rows tbody tr").first().waitFor();
      const overflow = await page.evaluate(() => {
        const body = document.getElementById("detail-body")!;
        return body.scrollWidth - body.clientWidth;
      });
      expect(overflow).toBe(0);
      await screenshot(page, "detail-gallery-with-errors-narrow");

      await openWhole(page, FAILED.referenceId);
      expect(await page.locator("#detail .callout.bad").textContent()).toContain("no 'email' column");
      expect(await page.locator("#detail .files").count()).toBe(0);
      await screenshot(page, "detail-gallery-failed");

      await openWhole(page, TIMED_OUT.referenceId);
      const story = await page.locator("#detail .timeline li").allInnerTexts();
      expect(story).toHaveLength(4);
      expect(story[2]).toContain("Resumed by another worker");
      expect(story[3]).toContain("Timeout");
      expect(story[3]).toContain("by the clock");
      await screenshot(page, "detail-gallery-timeout-resumed");

      await openWhole(page, EXPIRED.referenceId);
      const files = await page.locator("#detail .files li").allInnerTexts();
      expect(files).toHaveLength(2);
      for (const line of files) expect(line).toMatch(/Expired on \d+ [A-Z][a-z]{2}, \d\d:\d\d/);
      expect(await page.locator("#detail .files a").count()).toBe(0);
      expect(await page.locator("#detail table.rows").count()).toBe(0);
      await screenshot(page, "detail-gallery-expired");

      await openWhole(page, SCHEDULED.referenceId);
      expect(await sheetText(page)).toMatch(/Starts\s*Tomorrow/);
      await screenshot(page, "detail-gallery-scheduled");
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT * 2,
  );
});
