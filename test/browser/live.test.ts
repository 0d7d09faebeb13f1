/**
 * The tracker page, live, in real Chromium against a real server: signing in through /v1/session, a row
 * moving to "Completed with errors" without a reload, the report link downloading the CSV, and the
 * stream reconnecting (with Last-Event-ID) after the server drops it.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
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
  uploadUsers,
  useServerAndBrowser,
} from "../support/browser";
import { ADA } from "../support/env";
import type { TestServer } from "../support/server";

let server: TestServer;
let browser: Browser;

useServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** Marks the document; the mark survives only if the page is never reloaded. */
const markDocument = (page: Page) => page.evaluate(() => Object.assign(window, { notReloaded: true }));
const stillSameDocument = (page: Page) =>
  page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);

const statusOf = (page: Page, ref: string) => rowOf(page, ref).locator(".badge").textContent();

async function waitForStatus(page: Page, ref: string, label: string, timeout = 20_000) {
  await rowOf(page, ref).locator(".badge", { hasText: label }).waitFor({ timeout });
}

describeBrowser("the tracker page, live", () => {
  test(
    "signed out, it says how to sign in (with the demo link in development)",
    async () => {
      const { context, page } = await openPage(browser);
      await page.goto(`${server.url}/`);
      await page.locator("#signed-out").waitFor();
      expect(await page.locator("#signed-out h2").textContent()).toBe("You are signed out");
      expect(await page.locator("#dev-sign-in").isVisible()).toBe(true);
      expect(await page.locator("#tracker").isVisible()).toBe(false);
      await screenshot(page, "signed-out");
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "an upload with errors moves to Completed with errors without a reload, and its report downloads",
    async () => {
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      await page.locator("#live[data-state=live]").waitFor();
      expect(await page.locator("#who").textContent()).toContain("Ada Admin");
      await markDocument(page);

      const action = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "spring-hires.csv");
      const ref = action.referenceId;
      await rowOf(page, ref).waitFor();
      expect(await rowOf(page, ref).locator(".sub").textContent()).toBe("spring-hires.csv");
      await waitForStatus(page, ref, "Completed with errors");
      expect(await stillSameDocument(page)).toBe(true);

      const row = rowOf(page, ref);
      expect(await row.locator(".counts").textContent()).toContain("2 errors");
      expect(await row.locator(".counts").textContent()).toContain("1 warning");
      expect(await row.locator(".bar").getAttribute("aria-valuenow")).toBe("5");
      await page.waitForFunction(
        (text) => document.getElementById("announcer")?.textContent?.includes(text),
        `User upload ${ref} is now Completed with errors.`,
      );
      expect(await row.locator("td").nth(6).textContent()).toContain("Available until");
      await screenshot(page, "completed-with-errors");

      const link = row.locator("a.report");
      expect(await link.getAttribute("href")).toBe(`/v1/actions/${ref}/error-report`);
      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      expect(download.suggestedFilename()).toBe("spring-hires-errors.csv");
      const csv = readFileSync(await download.path(), "utf8");
      const lines = csv.trim().split(/\r?\n/);
      expect(lines[0]).toBe("Row,Status,Identifier,Issue,Resolution");
      expect(csv).toContain("not-an-email");
      expect(csv).toContain("ken@example.com");
      expect(lines).toHaveLength(4);
      expect(await stillSameDocument(page)).toBe(true);
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "the reference ID copies with one click, with visible and announced feedback",
    async () => {
      const { context, page } = await openPage(browser);
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
      const action = await uploadUsers(server, ADA, CLEAN_CSV, "copy-me.csv");
      await signIn(page, server, ADA);
      const button = rowOf(page, action.referenceId).locator("button.ref");
      await button.click();
      await button.locator(".tip", { hasText: "Copied" }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(action.referenceId);
      await page.waitForFunction(() => document.getElementById("announcer")?.textContent?.includes("copied"));
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "after the server drops the stream it reconnects, replays what it missed and stays live",
    async () => {
      const { context, page } = await openPage(browser);
      const streamRequests: Record<string, string>[] = [];
      page.on("request", async (request) => {
        if (new URL(request.url()).pathname === "/v1/events") streamRequests.push(await request.allHeaders());
      });
      await signIn(page, server, ADA);
      await page.locator("#live[data-state=live]").waitFor();
      await markDocument(page);
      // One event seen, so the browser has a Last-Event-ID to resume from.
      const first = await uploadUsers(server, ADA, CLEAN_CSV, "before-drop.csv");
      await waitForStatus(page, first.referenceId, "Completed");

      server.tracker.services.hub.closeAll();
      await page.locator("#live[data-state=reconnecting]").waitFor({ timeout: 5_000 });
      expect(await page.locator("#live-text").textContent()).toBe("Reconnecting…");
      await screenshot(page, "reconnecting");
      // Happens while the page is disconnected (the server's retry hint is 2 s).
      const during = await uploadUsers(server, ADA, CSV_WITH_ERRORS, "during-drop.csv");
      await settle(server, ADA, during.referenceId);

      await page.locator("#live[data-state=live]").waitFor({ timeout: 10_000 });
      await waitForStatus(page, during.referenceId, "Completed with errors");
      const after = await uploadUsers(server, ADA, CLEAN_CSV, "after-drop.csv");
      await waitForStatus(page, after.referenceId, "Completed");

      expect(await stillSameDocument(page)).toBe(true);
      expect(streamRequests.length).toBeGreaterThanOrEqual(2);
      expect(streamRequests[0]!["last-event-id"]).toBeUndefined();
      expect(Number(streamRequests[1]!["last-event-id"])).toBeGreaterThan(0);
      expect(await statusOf(page, first.referenceId)).toBe("Completed");
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "when the session ends, the stream's refusal turns the page to signed out (no endless retries)",
    async () => {
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      await page.locator("#live[data-state=live]").waitFor();
      // The session ends on the server (signed out in another tab, say): no waiting for a clock.
      const session = (await context.cookies()).find((c) => c.name === "tracker_session")!;
      const out = await fetch(`${server.url}/v1/session`, {
        method: "DELETE",
        headers: { cookie: `tracker_session=${session.value}`, origin: server.url },
      });
      expect(out.status).toBe(204);
      server.tracker.services.hub.closeAll();
      await page.locator("#signed-out").waitFor({ timeout: 10_000 });
      expect(await page.locator("#signed-out-text").textContent()).toContain("Your session has ended");
      expect(await page.locator("#live-text").textContent()).toBe("Signed out");
      expect(await page.locator("#tracker").isVisible()).toBe(false);
      await screenshot(page, "session-ended");
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "signing out clears the cookie and shows the signed-out state",
    async () => {
      const { context, page } = await openPage(browser);
      await signIn(page, server, ADA);
      await page.locator("#sign-out").click();
      await page.locator("#signed-out").waitFor();
      expect(await page.locator("#live-text").textContent()).toBe("Signed out");
      expect((await context.cookies()).some((c) => c.name === "tracker_session")).toBe(false);
      await page.reload();
      await page.locator("#signed-out").waitFor();
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
