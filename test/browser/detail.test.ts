/**
 * The detail view of one action, in real Chromium against a real server: opened from its row (mouse and
 * keyboard) and by `?ref=`, closed by Escape, its button and Back, with focus moving in and back to the
 * row; its timeline, the first rows of its error report, and both downloads (report and failed rows)
 * fetched with the session cookie as a browser downloads them.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT,
  CSV_WITH_ERRORS,
  describeBrowser,
  openPage,
  pageErrors,
  rowOf,
  screenshot,
  settle,
  signIn,
  uploadUsers,
  useServerAndBrowser,
} from "../support/browser";
import { refInAddress, sheet, waitClosed, waitOpen } from "../support/detail-page";
import { ADA } from "../support/env";
import type { TestServer } from "../support/server";
import { excelCsvUtf8 } from "../support/spreadsheet-files";
import { usersCsv } from "../support/users-csv";

let server: TestServer;
let browser: Browser;

useServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const focusedRef = (page: Page) =>
  page.evaluate(() => document.activeElement?.closest("[data-ref]")?.getAttribute("data-ref") ?? null);
const focusInSheet = (page: Page) => page.evaluate(() => !!document.activeElement?.closest("#detail"));

describeBrowser("the detail view of one action", () => {
  test(
    "opens from its row by mouse and keyboard, closes by Escape, button and Back, and focus returns to the row",
    async () => {
      const action = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "spring-hires.csv");
      const ref = action.referenceId;
      await settle(server, ADA, ref);
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      const row = rowOf(page, ref);
      await row.locator(".badge", { hasText: "Completed with errors" }).waitFor();

      // Mouse: anywhere on the row that is not a control.
      await row.locator("td").nth(3).click();
      await waitOpen(page, ref);
      expect(refInAddress(page)).toBe(ref);
      expect(await focusInSheet(page)).toBe(true);
      const title = await page.locator("#detail-title").textContent();
      expect(title).toBe(`User upload ${ref}`);
      expect(await sheet(page).getAttribute("aria-labelledby")).toBe("detail-title");
      await page.keyboard.press("Escape");
      await waitClosed(page);
      expect(refInAddress(page)).toBeNull();
      expect(await focusedRef(page)).toBe(ref);

      // Keyboard: Enter on the focused row opens it; Tab never reaches the list behind the open sheet
      // (it is modal: past its last control, focus goes to the browser's own controls, then back in).
      await page.keyboard.press("Enter");
      await waitOpen(page, ref);
      const reached = new Set<string>();
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press("Tab");
        reached.add(
          await page.evaluate(() => {
            const el = document.activeElement;
            if (!el || el === document.body) return "browser";
            return el.closest("#detail")
              ? el.outerHTML.slice(0, 60)
              : `outside: ${el.outerHTML.slice(0, 60)}`;
          }),
        );
      }
      expect([...reached].filter((where) => where.startsWith("outside"))).toEqual([]);
      expect(reached.size).toBeGreaterThan(3);
      await page.goBack();
      await waitClosed(page);
      expect(refInAddress(page)).toBeNull();
      expect(await focusedRef(page)).toBe(ref);
      await page.goForward();
      await waitOpen(page, ref);

      // The row's link, reached with Tab like any link, opens it with Enter too.
      await page.locator("#detail-close").click();
      await waitClosed(page);
      expect(refInAddress(page)).toBeNull();
      await row.locator("a.open").focus();
      await page.keyboard.press("Enter");
      await waitOpen(page, ref);
      await page.locator("#detail-close").press("Enter");
      await waitClosed(page);
      expect(await page.evaluate(() => document.activeElement?.matches("a.open"))).toBe(true);
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "by ?ref=: the timeline, the report's rows inline, and both files downloaded with the session cookie",
    async () => {
      // Excel "CSV UTF-8" with German regional settings: semicolons, a BOM, CRLF, a quoted cell.
      const sheetRows = [
        ["email", "first_name", "last_name", "role"],
        ["grace@example.com", "Grace", "Hopper", "admin"],
        ["not-an-email", "Jürgen", "Müller; Sohn", "learner"],
        ["linus@example.com", "Linus", "", "learner"],
        ["ken@example.com", "Ken", "Thompson", "wizard"],
      ];
      const upload = excelCsvUtf8(sheetRows, ";") as Uint8Array<ArrayBuffer>;
      const uploadedLines = new TextDecoder().decode(upload).split("\r\n");
      const action = await uploadUsers(server, ADA, upload, "neue-mitarbeiter.csv");
      const ref = action.referenceId;
      await settle(server, ADA, ref);
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA, `/?ref=${ref}`);
      await waitOpen(page, ref);
      expect(await focusedRef(page)).toBe(ref);
      expect(await rowOf(page, ref).getAttribute("aria-current")).toBe("true");

      const timeline = sheet(page).locator(".timeline li");
      await timeline.last().waitFor();
      const story = await timeline.allTextContents();
      expect(story[0]).toContain("Not started");
      expect(story[0]).toContain("by you");
      expect(story.some((line) => line.includes("In progress") && line.includes("by a worker"))).toBe(true);
      expect(story.at(-1)).toContain("Completed with errors");

      const rows = sheet(page).locator("table.rows tbody tr");
      await rows.first().waitFor();
      expect(await rows.count()).toBe(3);
      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
      );
      expect(cells[0]?.slice(0, 3)).toEqual(["3", "Error", "not-an-email"]);
      expect(cells.map((c) => c[1])).toEqual(["Error", "Warning", "Error"]);
      expect(await sheet(page).locator(".rows + p").textContent()).toBe("These are all 3 rows.");

      const files = sheet(page).locator(".files li");
      expect(await files.count()).toBe(2);
      expect(await files.nth(0).textContent()).toContain("Available until");
      expect(await files.nth(1).textContent()).toContain("neue-mitarbeiter-to-fix.csv");
      await screenshot(page, "detail-completed-with-errors");

      const report = await download(page, files.nth(0).locator("a"));
      expect(report.name).toBe("neue-mitarbeiter-errors.csv");
      expect(report.text.replace(/^\uFEFF/, "").split(/\r?\n/)[0]).toBe(
        "Row,Status,Identifier,Issue,Resolution",
      );
      expect(report.text).toContain("ken@example.com");

      // The failed rows: the upload's own header and dialect, each Error row byte for byte as uploaded
      // (its quoted cell too), then its issue and resolution.
      const toFix = await download(page, files.nth(1).locator("a"));
      expect(toFix.name).toBe("neue-mitarbeiter-to-fix.csv");
      const lines = toFix.text.replace(/^\uFEFF/, "").split("\r\n");
      expect(lines[0]).toBe(`${uploadedLines[0]!.replace(/^\uFEFF/, "")};Issue;Resolution`);
      expect(lines[1]!.startsWith(`${uploadedLines[2]};`)).toBe(true);
      expect(lines[1]).toContain('"Müller; Sohn"');
      expect(lines[2]!.startsWith(`${uploadedLines[4]};`)).toBe(true);
      expect(lines.slice(3)).toEqual([""]);
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "a report of more than 20 rows shows its first 20 and says how many there are, with the download",
    async () => {
      const file = usersCsv(300, "many");
      const action = await uploadUsers(server, ADA, file.csv, "many-problems.csv");
      await settle(server, ADA, action.referenceId);
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA, `/?ref=${action.referenceId}`);
      await waitOpen(page, action.referenceId);
      const rows = sheet(page).locator("table.rows tbody tr");
      await rows.first().waitFor();
      expect(await rows.count()).toBe(20);
      const more = sheet(page).locator("p.more");
      expect(await more.textContent()).toBe(
        `The first 20 of ${file.errors + file.warnings} rows. Download the error report for all of them.`,
      );
      expect(await more.locator("a").getAttribute("href")).toBe(
        `/v1/actions/${action.referenceId}/error-report`,
      );
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});

/** Clicks a download link as a person would (the session cookie goes with it); the file's name and text. */
async function download(page: Page, link: ReturnType<Page["locator"]>) {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
}
