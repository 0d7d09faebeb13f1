/**
 * A report expiring while the page is open: the row turns from "Available until …" to "Expired" through
 * the stream, with no reload. Its own server (and file): the retention here is two seconds.
 */
import { expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT,
  CSV_WITH_ERRORS,
  describeBrowser,
  openPage,
  rowOf,
  screenshot,
  signIn,
  uploadUsers,
  useServerAndBrowser,
} from "../support/browser";
import { ADA } from "../support/env";
import type { TestServer } from "../support/server";

let server: TestServer;
let browser: Browser;

useServerAndBrowser(
  (s, b) => {
    server = s;
    browser = b;
  },
  { REPORT_RETENTION: "2s", EXPIRY_CRON: "* * * * * *" },
);

describeBrowser("an expiring report", () => {
  test(
    "turns from 'Available until …' to 'Expired' on the open page",
    async () => {
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      await page.locator("#live[data-state=live]").waitFor();
      const action = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "soon-gone.csv");
      const report = rowOf(page, action.referenceId).locator("td").nth(6);
      await report.locator("a.report").waitFor();
      expect(await report.textContent()).toContain("Available until");
      await report.locator(".expired", { hasText: "Expired" }).waitFor({ timeout: 15_000 });
      expect(await report.locator("a").count()).toBe(0);
      expect(await report.locator(".expired").getAttribute("title")).toContain("It was available until");
      await screenshot(page, "report-expired");
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
