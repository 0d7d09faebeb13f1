/**
 * A thousand actions: the page pages through them with "Load more" (100 at a time) without a long task
 * that a person would feel as jank, and `?ref=` finds an action that is not on the loaded page.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT,
  CLEAN_CSV,
  describeBrowser,
  launchBrowser,
  openPage,
  pageErrors,
  rowOf,
  signIn,
  uploadUsers,
} from "../support/browser";
import { ADA, bearer } from "../support/env";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let browser: Browser;
const refs: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  // Scheduled a day ahead: real actions that stay put while the page is measured.
  const scheduledFor = new Date(Date.now() + 86_400_000).toISOString();
  for (let batch = 0; batch < 20; batch++) {
    const made = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        uploadUsers(server, ADA, CLEAN_CSV, `batch-${batch}-${i}.csv`, { scheduledFor }),
      ),
    );
    refs.push(...made.map((a) => a.referenceId));
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describeBrowser("a thousand actions", () => {
  test(
    "load page by page, each page adding only its own rows",
    async () => {
      const { context, page } = await openPage(browser);
      await page.addInitScript(() => {
        const w = window as unknown as { longTasks: number[]; rowsAdded: number; rowsRemoved: number };
        w.longTasks = [];
        w.rowsAdded = 0;
        w.rowsRemoved = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
        }).observe({ type: "longtask", buffered: true });
        // Counts action rows put into and taken out of the page, however deep in the table.
        const rows = (nodes: NodeList) => {
          let n = 0;
          for (const node of nodes) {
            if (!(node instanceof Element)) continue;
            if (node.matches("tr[data-ref]")) n++;
            n += node.querySelectorAll("tr[data-ref]").length;
          }
          return n;
        };
        new MutationObserver((records) => {
          for (const record of records) {
            w.rowsAdded += rows(record.addedNodes);
            w.rowsRemoved += rows(record.removedNodes);
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await signIn(page, server, ADA);
      await page.locator("tbody tr").first().waitFor();
      expect(await page.locator("tbody tr").count()).toBe(100);
      for (let loaded = 100; loaded < 1000; loaded += 100) {
        await page.locator("#more").click();
        await page.waitForFunction((n) => document.querySelectorAll("tbody tr").length === n, loaded + 100);
      }
      await page.locator("#more").waitFor({ state: "hidden" });
      expect(await page.locator("#count").textContent()).toBe("Showing 1,000 actions");
      // What keeps the page responsive is that each page of 100 only adds its own rows: every row is
      // built once, none is rebuilt or moved. Counted, not timed (CI machines are busy); the long tasks
      // are printed with DEBUG_PERF=1 for whoever measures.
      const seen = await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[]; rowsAdded: number; rowsRemoved: number };
        return { longTasks: w.longTasks, added: w.rowsAdded, removed: w.rowsRemoved };
      });
      if (process.env.DEBUG_PERF) console.log("long tasks (ms):", seen.longTasks);
      expect({ added: seen.added, removed: seen.removed }).toEqual({ added: 1000, removed: 0 });

      // A live change still lands on its row among a thousand.
      await fetch(`${server.url}/v1/actions/${refs[10]}/cancel`, {
        method: "POST",
        headers: bearer(ADA),
      });
      await rowOf(page, refs[10]!).locator(".badge", { hasText: "Cancelled" }).waitFor();
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );

  test(
    "?ref= of an action beyond the first page fetches and highlights it",
    async () => {
      const { context, page } = await openPage(browser);
      const oldest = refs[0]!;
      await signIn(page, server, ADA, `/?ref=${oldest}`);
      await page.locator("tr.target").waitFor();
      expect(await page.locator("tr.target").getAttribute("data-ref")).toBe(oldest);
      expect(await page.locator("#notice").isVisible()).toBe(false);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
