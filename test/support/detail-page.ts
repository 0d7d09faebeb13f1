/** The detail view of one action as the browser tests find it: the sheet, open or closed, and the address. */
import type { Page } from "playwright-core";

export const sheet = (page: Page) => page.locator("#detail");

/** The `ref` in the page's address (the detail view shown), or null. */
export const refInAddress = (page: Page) => new URL(page.url()).searchParams.get("ref");

export async function waitOpen(page: Page, ref: string): Promise<void> {
  await page.locator(`#detail[open][data-ref="${ref}"]`).waitFor();
}

export async function waitClosed(page: Page): Promise<void> {
  await page.waitForFunction(() => !(document.getElementById("detail") as HTMLDialogElement).open);
}
