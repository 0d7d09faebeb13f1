/**
 * What the tracker page shows, in real Chromium against a real server: only the signed-in person's own
 * actions (also live), the `?ref=` link from the completion email, filters, a report expiring live, and
 * the screenshot of a page with actions of several statuses.
 */
import { expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT,
  CLEAN_CSV,
  CSV_WITH_ERRORS,
  CSV_WITHOUT_EMAIL,
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
import { ADA, BOB, bearer, EVE } from "../support/env";
import type { TestServer } from "../support/server";

let server: TestServer;
let browser: Browser;

useServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

const dayAhead = () => new Date(Date.now() + 86_400_000).toISOString();

describeBrowser("what the tracker page shows", () => {
  test(
    "actions of several statuses, each badge with its own icon and label",
    async () => {
      // A course to replace, so the two-step content replacement can show as one task.
      const course = await uploadPackage(server, ADA, "content_upload", "health-and-safety.zip");
      await settle(server, ADA, course.referenceId);
      const replace = await uploadPackage(server, ADA, "content_replace", "health-and-safety-v2.zip");
      const failed = await uploadUsers(server, ADA, CSV_WITHOUT_EMAIL, "contractors.csv");
      const done = await uploadUsers(server, ADA, CLEAN_CSV, "new-instructors.csv");
      const cancelled = await uploadUsers(server, ADA, CLEAN_CSV, "summer-interns.csv", {
        scheduledFor: dayAhead(),
      });
      await fetch(`${server.url}/v1/actions/${cancelled.referenceId}/cancel`, {
        method: "POST",
        headers: bearer(ADA),
      });
      const withErrors = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "spring-hires.csv");
      const scheduled = await uploadUsers(server, ADA, CLEAN_CSV, "autumn-cohort.csv", {
        scheduledFor: dayAhead(),
      });
      for (const ref of [failed, done, withErrors].map((a) => a.referenceId)) await settle(server, ADA, ref);

      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      const expected: [string, string][] = [
        [failed.referenceId, "Failed"],
        [done.referenceId, "Completed"],
        [cancelled.referenceId, "Cancelled"],
        [withErrors.referenceId, "Completed with errors"],
        [scheduled.referenceId, "Scheduled"],
      ];
      for (const [ref, label] of expected) {
        await rowOf(page, ref).locator(".badge", { hasText: label }).waitFor();
        expect(await rowOf(page, ref).locator(".badge").textContent()).toBe(label);
        // Distinguishable without colour: every status has its own icon shape.
        expect(await rowOf(page, ref).locator(".badge svg path").count()).toBeGreaterThan(0);
      }
      expect(await rowOf(page, failed.referenceId).locator(".reason").textContent()).toContain(
        "no 'email' column",
      );
      expect(await rowOf(page, scheduled.referenceId).locator("td").nth(3).textContent()).toContain(
        "Starts tomorrow",
      );
      expect(replace.taskId).not.toBeNull();
      const task = page.locator("tbody.task");
      await task.locator(".step", { hasText: "Step 2 of 2" }).waitFor();
      expect(await task.locator("tr").count()).toBe(2);
      expect(await task.locator("tr").first().locator(".step").textContent()).toBe("Step 1 of 2");
      await page.locator("#live[data-state=live]").waitFor();
      await page.mouse.move(0, 0);
      await page.waitForTimeout(1_000); // let the arrival highlight fade
      await screenshot(page, "several-statuses");
      await page.emulateMedia({ colorScheme: "dark" });
      await screenshot(page, "several-statuses-dark");
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "another person's actions never show, neither listed nor live",
    async () => {
      const bobsEarlier = await uploadUsers(server, BOB, CLEAN_CSV, "bob-before.csv");
      const evesEarlier = await uploadUsers(server, EVE, CLEAN_CSV, "eve-before.csv");
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      await page.locator("#live[data-state=live]").waitFor();

      const bobsLive = await uploadUsers(server, BOB, CSV_WITH_ERRORS, "bob-live.csv");
      const evesLive = await uploadUsers(server, EVE, CSV_WITH_ERRORS, "eve-live.csv");
      await settle(server, BOB, bobsLive.referenceId);
      await settle(server, EVE, evesLive.referenceId);
      // Ada's own action afterwards: once it shows, the stream has delivered everything before it.
      const adas = await uploadUsers(server, ADA, CLEAN_CSV, "ada-sync.csv");
      await rowOf(page, adas.referenceId).locator(".badge", { hasText: "Completed" }).waitFor();

      for (const ref of [bobsEarlier, evesEarlier, bobsLive, evesLive].map((a) => a.referenceId)) {
        expect(await rowOf(page, ref).count()).toBe(0);
      }
      const shown = await page
        .locator("tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.textContent ?? ""));
      expect(shown.some((text) => /bob-|eve-/.test(text))).toBe(false);

      // Following a link to someone else's action says "not found", as for an unknown one.
      await page.goto(`${server.url}/?ref=${bobsLive.referenceId}`);
      await page.locator("#notice").waitFor();
      expect(await page.locator("#notice").textContent()).toContain(
        `No action ${bobsLive.referenceId} was found`,
      );
      expect(await rowOf(page, bobsLive.referenceId).count()).toBe(0);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "?ref= highlights and scrolls to the action; an unknown reference is reported as not found",
    async () => {
      const { context, page } = await openPage(browser);
      const target = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "target.csv");
      for (let i = 0; i < 14; i++)
        await uploadUsers(server, ADA, CLEAN_CSV, `filler-${i}.csv`, { scheduledFor: dayAhead() });

      await signIn(page, server, ADA, `/?ref=${target.referenceId.toLowerCase()}`);
      const row = rowOf(page, target.referenceId);
      await page.locator("tr.target").waitFor();
      expect(await row.getAttribute("aria-current")).toBe("true");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("data-ref"))).toBe(
        target.referenceId,
      );
      await page.waitForFunction((ref) => {
        const box = document.querySelector(`tr[data-ref="${ref}"]`)?.getBoundingClientRect();
        return box && box.top >= 0 && box.bottom <= window.innerHeight;
      }, target.referenceId);
      await screenshot(page, "ref-highlight");

      await page.goto(`${server.url}/?ref=BA-ZZZZZZZZ`);
      await page.locator("#notice").waitFor();
      expect(await page.locator("#notice").textContent()).toContain("No action BA-ZZZZZZZZ was found");
      expect(await page.locator("tr.target").count()).toBe(0);
      await screenshot(page, "ref-not-found");
      // The 404 of the lookup is the expected answer; nothing else may go wrong.
      expect(pageErrors(page).filter((e) => !e.includes("/v1/actions/BA-ZZZZZZZZ"))).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "filters by status and type, through the URL too",
    async () => {
      const failed = await uploadUsers(server, ADA, CSV_WITHOUT_EMAIL, "filter-failed.csv");
      await settle(server, ADA, failed.referenceId);
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      await page.locator("tbody tr").first().waitFor();
      await page.selectOption("#f-status", "failed");
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll("tbody tr")];
        return rows.length > 0 && rows.every((r) => r.getAttribute("data-status") === "failed");
      });
      expect(new URL(page.url()).searchParams.get("status")).toBe("failed");
      expect(await rowOf(page, failed.referenceId).count()).toBe(1);

      await page.selectOption("#f-type", "group_enroll");
      await page.locator("#empty h2", { hasText: "No actions match these filters" }).waitFor();
      await page.locator("#empty button", { hasText: "Clear filters" }).click();
      await page.waitForFunction(() => document.querySelectorAll("tbody tr").length > 1);
      expect(new URL(page.url()).search).toBe("");

      await page.goto(`${server.url}/?status=completed_with_errors,failed,timeout`);
      await page.locator("tbody tr").first().waitFor();
      expect(await page.locator("#f-status").inputValue()).toBe("completed_with_errors,failed,timeout");
      const statuses = await page
        .locator("tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
      expect(statuses.every((s) => ["completed_with_errors", "failed", "timeout"].includes(s ?? ""))).toBe(
        true,
      );
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
