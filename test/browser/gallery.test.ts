/**
 * All eight statuses side by side, including the ones a real run cannot freeze for a picture (in
 * progress, not started, timeout): the page is real and signed in for real, only the list answer is
 * replaced by fixed actions, so the screenshot shows every badge, a running bar, a task and an expired
 * report. The assertions check that no two statuses share an icon: colour is never the only signal.
 */
import { expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { ActionView } from "../../src/actions/view";
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
  fixtureFile,
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

const FIXTURES: ActionView[] = [
  action("BA-4NT7Q2KD", {
    status: "in_progress",
    statusLabel: "In progress",
    fileName: "all-staff-2026.csv",
    progress: progress(60_000, 23_418, 12, 40),
    createdAt: minutesAgo(2),
    startedAt: minutesAgo(2),
  }),
  action("BA-9XRM3HVB", {
    status: "not_started",
    statusLabel: "Not started",
    type: "group_enroll",
    typeLabel: "Group enrollment",
    createdAt: minutesAgo(3),
  }),
  action("BA-7K3Q9X2M", {
    status: "scheduled",
    statusLabel: "Scheduled",
    type: "reminder_send",
    typeLabel: "Reminder",
    createdAt: minutesAgo(9),
    scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
  }),
  action("BA-2HWP8C6E", {
    status: "completed_with_errors",
    statusLabel: "Completed with errors",
    fileName: "spring-hires.csv",
    progress: progress(240, 240, 7, 3),
    createdAt: minutesAgo(30),
    completedAt: minutesAgo(29),
    errorReport: fixtureFile("BA-2HWP8C6E", "spring-hires-errors.csv"),
  }),
  action("BA-T5Y1J0AZ", {
    status: "in_progress",
    statusLabel: "In progress",
    type: "content_replace",
    typeLabel: "Content replacement",
    taskId: "T-QZ31",
    step: 2,
    steps: 2,
    fileName: "safety-v2.zip, fire-v2.zip",
    progress: progress(2, 1),
    createdAt: minutesAgo(45),
    startedAt: minutesAgo(1),
  }),
  action("BA-S8D4F6GH", {
    status: "completed",
    statusLabel: "Completed",
    type: "content_replace",
    typeLabel: "Content replacement",
    taskId: "T-QZ31",
    step: 1,
    steps: 2,
    fileName: "safety-v2.zip, fire-v2.zip",
    progress: progress(2, 2),
    createdAt: minutesAgo(45),
    completedAt: minutesAgo(2),
  }),
  action("BA-C3V5B7NM", {
    status: "completed",
    statusLabel: "Completed",
    type: "history_migration",
    typeLabel: "Training history migration",
    fileName: "lms-export.csv",
    progress: progress(1_820, 1_820, 0, 4),
    createdAt: minutesAgo(200),
    completedAt: minutesAgo(190),
    errorReport: fixtureFile("BA-C3V5B7NM", "lms-export-errors.csv"),
  }),
  action("BA-P0Q8R6ST", {
    status: "failed",
    statusLabel: "Failed",
    fileName: "contractors.csv",
    failureReason: "The file has no 'email' column.",
    createdAt: minutesAgo(1500),
    completedAt: minutesAgo(1500),
  }),
  action("BA-K2M4N6PQ", {
    status: "timeout",
    statusLabel: "Timeout",
    type: "dynamic_rule_start",
    typeLabel: "Dynamic rule start",
    progress: progress(5_000, 3_120),
    failureReason: "It ran longer than 2 hours and was stopped; 3,120 of 5,000 users were evaluated.",
    createdAt: minutesAgo(3000),
    completedAt: minutesAgo(2880),
  }),
  action("BA-W1X3Y5Z7", {
    status: "cancelled",
    statusLabel: "Cancelled",
    type: "group_unenroll",
    typeLabel: "Group unenrollment",
    createdAt: minutesAgo(5000),
    completedAt: minutesAgo(4990),
  }),
  action("BA-E9F7G5H3", {
    status: "completed_with_errors",
    statusLabel: "Completed with errors",
    fileName: "old-import.csv",
    progress: progress(80, 80, 2),
    createdAt: minutesAgo(20_000),
    completedAt: minutesAgo(19_990),
    errorReport: fixtureFile("BA-E9F7G5H3", "old-import-errors.csv", "error-report", true),
  }),
];

describeBrowser("every status at a glance", () => {
  test(
    "eight statuses, eight icons and labels; a running bar; a two-step task; an expired report",
    async () => {
      const { context, page } = await openPage(browser);
      await serveFixtures(page, FIXTURES);
      await signIn(page, server, ADA);
      await page.locator('tr[data-ref="BA-E9F7G5H3"]').waitFor();

      const badges = await page.locator("tbody .badge").evaluateAll((els) =>
        els.map((el) => ({
          status: el.getAttribute("data-status"),
          label: el.textContent,
          icon: [...el.querySelectorAll("path")].map((p) => p.getAttribute("d")).join("|"),
          dashed: getComputedStyle(el.querySelector("svg")!).strokeDasharray,
        })),
      );
      const byStatus = new Map(badges.map((b) => [b.status, b]));
      expect(byStatus.size).toBe(8);
      const shapes = new Set([...byStatus.values()].map((b) => `${b.icon}/${b.dashed}`));
      expect(shapes.size).toBe(8);
      for (const b of byStatus.values()) expect(b.label?.length).toBeGreaterThan(3);

      const task = page.locator("tbody.task tr");
      expect(await task.count()).toBe(2);
      expect(await task.nth(0).locator(".step").textContent()).toBe("Step 1 of 2");
      expect(await page.locator('tr[data-ref="BA-4NT7Q2KD"] .pct').textContent()).toBe("39%");
      expect(await page.locator('tr[data-ref="BA-E9F7G5H3"] .expired').textContent()).toBe("Expired");
      expect(await page.locator("#more").isVisible()).toBe(true);
      expect(await page.title()).toBe("(2 running) Bulk actions · Action tracker");

      await page.mouse.move(0, 0);
      await screenshot(page, "all-statuses");
      await page.emulateMedia({ colorScheme: "dark" });
      await screenshot(page, "all-statuses-dark");
      await page.setViewportSize({ width: 420, height: 900 });
      await page.emulateMedia({ colorScheme: "light" });
      await screenshot(page, "all-statuses-narrow");
      expect(pageErrors(page)).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT,
  );
});
