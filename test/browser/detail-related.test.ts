/**
 * What the detail view links to, in real Chromium against a real server: a dry run marked on its row and
 * in its view, the retry chain both ways (and a retry started while the view is open arriving live), the
 * other step of a content replacement, and Back/Forward through the actions opened one from another.
 */
import { expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT,
  CLEAN_CSV,
  CSV_WITH_ERRORS,
  describeBrowser,
  openPage,
  pageErrors,
  rowOf,
  screenshot,
  settle,
  signIn,
  uploadPackage,
  uploadUsers,
  useServerAndBrowser,
} from "../support/browser";
import { refInAddress, sheet, waitClosed, waitOpen } from "../support/detail-page";
import { ADA } from "../support/env";
import type { TestServer } from "../support/server";

let server: TestServer;
let browser: Browser;

useServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const related = (page: Page, what: string) => sheet(page).locator(".related li", { hasText: what });

describeBrowser("what the detail view links to", () => {
  test(
    "a dry run is marked on its row and in its view",
    async () => {
      const dry = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "check-first.csv", { dryRun: "true" });
      await settle(server, ADA, dry.referenceId);
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      const row = rowOf(page, dry.referenceId);
      expect(await row.locator(".tag.dry").textContent()).toBe("Dry run");
      await row.locator("a.open").click();
      await waitOpen(page, dry.referenceId);
      expect(await sheet(page).locator("#detail-meta .tag.dry").textContent()).toBe("Dry run");
      expect(await sheet(page).locator(".callout.dry").textContent()).toContain("Nothing is changed");
      await screenshot(page, "detail-dry-run");
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "the retry chain both ways, a retry started meanwhile arriving live, and Back/Forward between them",
    async () => {
      const first = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "to-retry.csv");
      await settle(server, ADA, first.referenceId);
      const retry = await uploadUsers(server, ADA, CLEAN_CSV, "to-retry-to-fix.csv", {
        retryOf: first.referenceId,
      });
      await settle(server, ADA, retry.referenceId);

      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA, `/?ref=${first.referenceId}`);
      await waitOpen(page, first.referenceId);
      const retriedBy = related(page, "Retried by");
      await retriedBy.first().waitFor();
      expect(await retriedBy.locator("a").textContent()).toBe(retry.referenceId);
      await retriedBy.locator(".badge", { hasText: "Completed" }).waitFor();

      // A second retry, started while the view is open, arrives on the stream.
      await page.locator("#live[data-state=live]").waitFor();
      const again = await uploadUsers(server, ADA, CLEAN_CSV, "to-retry-again.csv", {
        retryOf: first.referenceId,
      });
      await retriedBy.nth(1).waitFor();
      expect(await retriedBy.locator("a").allTextContents()).toContain(again.referenceId);

      // The link opens the retry in the sheet, which links back; Back and Forward walk the two.
      await retriedBy.locator("a", { hasText: retry.referenceId }).click();
      await waitOpen(page, retry.referenceId);
      expect(refInAddress(page)).toBe(retry.referenceId);
      expect(await page.evaluate(() => !!document.activeElement?.closest("#detail"))).toBe(true);
      const retryOf = related(page, "Retry of");
      expect(await retryOf.locator("a").textContent()).toBe(first.referenceId);
      await screenshot(page, "detail-retry");
      await page.goBack();
      await waitOpen(page, first.referenceId);
      await page.goForward();
      await waitOpen(page, retry.referenceId);

      // Closing goes back to the list (the link the page was opened with loses its ref).
      await page.keyboard.press("Escape");
      await waitClosed(page);
      expect(refInAddress(page)).toBeNull();
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "a content replacement's step links to its other step",
    async () => {
      const course = await uploadPackage(server, ADA, "content_upload", "fire-safety.zip");
      await settle(server, ADA, course.referenceId);
      const step1 = await uploadPackage(server, ADA, "content_replace", "fire-safety-v2.zip");
      await settle(server, ADA, step1.referenceId);
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA, `/?ref=${step1.referenceId}`);
      await waitOpen(page, step1.referenceId);
      expect(await sheet(page).locator("#detail-meta .step").textContent()).toBe(
        "Step 1 of 2 · checks the packages",
      );
      const other = related(page, "Step 2 of 2");
      await other.waitFor();
      const step2 = (await other.locator("a").textContent())!;
      expect(step2).not.toBe(step1.referenceId);
      await other.locator("a").click();
      await waitOpen(page, step2);
      await related(page, "Step 1 of 2").locator("a", { hasText: step1.referenceId }).waitFor();
      expect(await sheet(page).locator("#detail-meta .step").textContent()).toContain("Step 2 of 2");
      await screenshot(page, "detail-task-step");
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
