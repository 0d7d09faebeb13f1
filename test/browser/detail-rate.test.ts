/**
 * A large upload watched in its detail view, in real Chromium against a real server: "calculating…"
 * first, then a rate (rows a second) and a time left that move with the progress frames, all over the
 * page's one EventSource (counted) and without polling; at the end the view says so, politely.
 * Its own file and server: the upload is large enough to run for several progress frames.
 */
import { expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import {
  describeBrowser,
  openPage,
  pageErrors,
  rowOf,
  screenshot,
  signIn,
  uploadUsers,
  useServerAndBrowser,
} from "../support/browser";
import { ADA } from "../support/env";
import type { TestServer } from "../support/server";
import { usersCsv } from "../support/users-csv";

let server: TestServer;
let browser: Browser;

useServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** Rows enough for several one-second progress frames even on a fast machine (~90,000 rows/s alone). */
const ROWS = 400_000;

/**
 * What the sheet says: the rate and the time left as shown, and the exact values behind them
 * (`data-rate`, `data-seconds`; the text is rounded, so two frames may read alike).
 */
const readout = (page: Page) =>
  page.evaluate(() => {
    const stat = (label: string) =>
      [...document.querySelectorAll("#detail .stats dt")].find((dt) => dt.textContent === label)
        ?.nextElementSibling?.textContent ?? null;
    return {
      rate: document.querySelector("#detail [data-rate]")?.getAttribute("data-rate") ?? null,
      seconds: document.querySelector("#detail [data-seconds]")?.getAttribute("data-seconds") ?? null,
      rateText: stat("Rate"),
      left: stat("Time left"),
      status: document.querySelector("#detail-meta .badge")?.textContent ?? null,
    };
  });

describeBrowser("a large upload in its detail view", () => {
  test("shows 'calculating…', then a rate and a time left that move, then the end", async () => {
    const { context, page } = await openPage(browser);
    await page.addInitScript(() => {
      const Original = window.EventSource;
      const w = window as unknown as { streamsOpened: number };
      w.streamsOpened = 0;
      window.EventSource = class extends Original {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          w.streamsOpened++;
        }
      };
    });
    await signIn(page, server, ADA);
    await page.locator("#live[data-state=live]").waitFor();

    const file = usersCsv(ROWS, "big");
    const posted = uploadUsers(server, ADA, file.csv, "all-staff.csv");
    // The row shows as soon as the action exists (while its file is still being staged): open it.
    const row = page.locator("tbody tr[data-ref]").first();
    await row.locator(".sub", { hasText: "all-staff.csv" }).waitFor({ timeout: 60_000 });
    const ref = (await row.getAttribute("data-ref"))!;
    await row.locator("td").nth(3).click();
    await page.locator(`#detail[open][data-ref="${ref}"]`).waitFor();
    expect((await posted).referenceId).toBe(ref);

    await page.locator("#detail .stats dd", { hasText: "calculating…" }).first().waitFor({ timeout: 60_000 });
    await page.locator("#detail [data-rate]").waitFor({ timeout: 60_000 });
    const first = await readout(page);
    expect(first.status).toBe("In progress");
    expect(first.rateText).toMatch(/^[\d,.]+ rows\/s$/);
    expect(first.left).toMatch(/^(about \d+ (s|min)( \d+ s)?|a few seconds)$/);

    // The next frame moves both (the rate is smoothed, the time left shrinks with the rows left).
    await page.waitForFunction(
      ([rate, seconds]) => {
        const now = document.querySelector("#detail [data-rate]")?.getAttribute("data-rate");
        const left = document.querySelector("#detail [data-seconds]")?.getAttribute("data-seconds");
        return now && left && now !== rate && left !== seconds;
      },
      [first.rate, first.seconds],
      { timeout: 60_000 },
    );
    const later = await readout(page);
    expect(later.status).toBe("In progress");
    expect(Number(later.rate)).toBeGreaterThan(0);
    await screenshot(page, "detail-running");

    await page
      .locator("#detail-meta .badge", { hasText: "Completed with errors" })
      .waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      (text) => document.getElementById("detail-said")?.textContent === text,
      `User upload ${ref} is now Completed with errors.`,
    );
    const done = await readout(page);
    expect(done.rate).toBeNull();
    expect(done.seconds).toBeNull();
    expect(done.left).toBeNull();
    expect(await page.locator("#detail .stats dt", { hasText: "Took" }).count()).toBe(1);
    expect(await rowOf(page, ref).locator(".counts").textContent()).toContain(
      `${ROWS.toLocaleString("en-GB")} / ${ROWS.toLocaleString("en-GB")}`,
    );

    // One stream the whole time, and no polling: the report's first rows were asked for a few times at most.
    expect(await page.evaluate(() => (window as unknown as { streamsOpened: number }).streamsOpened)).toBe(1);
    const asked = await page.evaluate(
      () => performance.getEntriesByType("resource").filter((e) => e.name.includes("/report-rows")).length,
    );
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThanOrEqual(3);
    expect(pageErrors(page)).toEqual([]);
    await context.close();
  }, 180_000);
});
