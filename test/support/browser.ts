/**
 * Real Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
 * download). Where it is missing the browser tests are skipped with how to install it; in CI (`CI` set)
 * they run anyway and fail, so a green CI always means the page was really tested in a browser.
 */

import { afterAll, beforeAll, describe } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { isFinal } from "../../src/actions/model";
import { bearer, type Person, tokenFor } from "./env";
import { startTestServer, type TestServer } from "./server";
import { scorm12Zip } from "./zip-fixtures";

/** Per-test timeout for browser tests: actions run for real, and Chromium is not instant. */
export const BROWSER_TEST_TIMEOUT = 30_000;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM_PATH);

if (!available && !process.env.CI) {
  console.warn(
    `\n  Browser tests skipped: no Chromium at ${CHROMIUM_PATH}. Install it with \`apt-get install chromium\`` +
      " (or set CHROMIUM_PATH).\n",
  );
}

/** `describe` when Chromium is there (or in CI, where its absence must fail), else `describe.skip`. */
export const describeBrowser: typeof describe = available || process.env.CI ? describe : describe.skip;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

export const SCREENSHOT_DIR = join(import.meta.dir, "..", "..", "test-output", "screenshots");

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // A detail view that has just opened is still sliding in: the picture is of where it ends.
  await page.evaluate(() =>
    Promise.all(
      document
        .getElementById("detail")
        ?.getAnimations()
        .map((a) => a.finished) ?? [],
    ),
  );
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // With the detail view open, the window is the picture (the list behind it may be longer).
  const sheetOpen = await page.locator("dialog[open]").count();
  await page.screenshot({ path, fullPage: sheetOpen === 0 });
  return path;
}

/** A fresh browser context (its own cookie jar) in a fixed time zone and size, with one page open. */
export async function openPage(
  browser: Browser,
  options: { timezoneId?: string; colorScheme?: "light" | "dark" } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1360, height: 860 },
    deviceScaleFactor: 1,
    timezoneId: options.timezoneId ?? "Europe/Berlin",
    locale: "en-GB",
    colorScheme: options.colorScheme ?? "light",
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    // A 401 while signed out is expected; any other console error (a CSP refusal, a script bug) is not.
    // (and so is the favicon request of the bare /healthz page that signIn starts from).
    const text = message.text();
    if (message.type() !== "error" || text.includes("status of 401")) return;
    if (message.location().url.endsWith("/favicon.ico")) return;
    errors.push(`${text} (${message.location().url})`);
  });
  (page as Page & { errors: string[] }).errors = errors;
  return { context, page };
}

/** Page script errors and console errors seen so far (a CSP violation shows up here too). */
export const pageErrors = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];

/**
 * Signs in the way a portal would: the page posts the person's bearer token to /v1/session, which sets
 * the HttpOnly cookie; then the tracker is loaded at `path`.
 */
export async function signIn(
  page: Page,
  server: TestServer,
  person: Person,
  path = "/",
  claims: Record<string, unknown> = {},
): Promise<void> {
  await page.goto(`${server.url}/healthz`);
  const status = await page.evaluate(
    async (token) => {
      const res = await fetch("/v1/session", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      return res.status;
    },
    // A session is only started from a token that ends.
    tokenFor(person, { exp: Math.floor(Date.now() / 1000) + 3600, ...claims }),
  );
  if (status !== 200) throw new Error(`POST /v1/session answered ${status}`);
  await page.goto(`${server.url}${path}`);
}

/** Starts a CSV user upload (text, or the bytes a spreadsheet program wrote) as `person`; returns the action. */
export async function uploadUsers(
  server: TestServer,
  person: Person,
  csv: string | Uint8Array<ArrayBuffer>,
  fileName = "users.csv",
  fields: Record<string, string> = {},
): Promise<{ referenceId: string; status: string } & Record<string, unknown>> {
  const form = new FormData();
  form.set("type", "user_upload");
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  form.set("file", new File([csv], fileName, { type: "text/csv" }));
  const res = await fetch(`${server.url}/v1/actions`, {
    method: "POST",
    body: form,
    headers: bearer(person),
  });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { referenceId: string; status: string };
}

/** Starts a package upload (`content_upload` or `content_replace`) of one SCORM 1.2 zip as `person`. */
export async function uploadPackage(
  server: TestServer,
  person: Person,
  type: "content_upload" | "content_replace",
  fileName: string,
): Promise<{ referenceId: string; taskId: string | null }> {
  const form = new FormData();
  form.set("type", type);
  form.set(
    "file",
    new File([scorm12Zip() as Uint8Array<ArrayBuffer>], fileName, { type: "application/zip" }),
  );
  const res = await fetch(`${server.url}/v1/actions`, {
    method: "POST",
    body: form,
    headers: bearer(person),
  });
  if (res.status !== 202) throw new Error(`${type} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { referenceId: string; taskId: string | null };
}

/** Waits until the action reaches a final status, by polling the API (for setting up a scene). */
export async function settle(server: TestServer, person: Person, ref: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.url}/v1/actions/${ref}`, { headers: bearer(person) });
    const action = (await res.json()) as { status: string };
    if (isFinal(action.status)) return action;
    if (Date.now() > until) throw new Error(`${ref} is still ${action.status}`);
    await Bun.sleep(100);
  }
}

/** The row of one action on the page. */
export const rowOf = (page: Page, ref: string) => page.locator(`tr[data-ref="${ref}"]`);

/** A CSV with two Error rows (a bad email, a bad role) and one Warning row (no last name). */
export const CSV_WITH_ERRORS = [
  "email,first_name,last_name,role",
  "grace@example.com,Grace,Hopper,admin",
  "not-an-email,Bad,Email,learner",
  "linus@example.com,Linus,,learner",
  "ken@example.com,Ken,Thompson,wizard",
  "barbara@example.com,Barbara,Liskov,manager",
].join("\n");

export const CLEAN_CSV = [
  "email,first_name,last_name",
  "a@example.com,Alan,Turing",
  "b@example.com,Ada,Byron",
].join("\n");

/** No `email` column: the file as a whole is unusable, so the action fails. */
export const CSV_WITHOUT_EMAIL = ["name,role", "Alan,learner"].join("\n");

/**
 * One real server and one Chromium for a test file: started before its tests, stopped after them.
 * `ready` receives both (the file keeps them in its own variables).
 */
export function useServerAndBrowser(
  ready: (server: TestServer, browser: Browser) => void,
  env: Record<string, string> = {},
): void {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startTestServer(env);
    browser = await launchBrowser();
    ready(server, browser);
  }, BROWSER_TEST_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
}
