/**
 * Cross-site request forgery from another origin of the same site (issue 12). `SameSite=Strict` keeps
 * the session cookie from other sites only: a page on another port of the same host (or a sibling
 * subdomain, where a portal serves uploaded SCORM content) still sends it. Driven in real Chromium from
 * pages served on other ports, and over HTTP with each combination of Origin and Sec-Fetch-Site:
 * an unsafe request signed in with the cookie is refused (403) unless it comes from the tracker's own
 * origin or one listed in CORS_ORIGINS; bearer-token requests are not affected.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { describeBrowser, launchBrowser, openPage, signIn } from "../support/browser";
import { ADA, bearer, sessionCookie } from "../support/env";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;
let browser: Browser;
/** Two other origins of the same site (127.0.0.1, other ports): one listed in CORS_ORIGINS, one not. */
const pages = new Map<string, string>();
const serveAttackerPages = () =>
  Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) =>
      new Response(pages.get(new URL(req.url).pathname) ?? "", {
        headers: { "content-type": "text/html; charset=utf-8" },
      }),
  });
const listed = serveAttackerPages();
const unlisted = serveAttackerPages();
const origin = (s: { port?: number | undefined }) => `http://127.0.0.1:${s.port}`;

beforeAll(async () => {
  server = await startTestServer({ CORS_ORIGINS: origin(listed), ROLE: "api" });
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  listed.stop(true);
  unlisted.stop(true);
});

const actionsOfAda = async () =>
  Number(
    (
      await server.tracker.database.client.execute({
        sql: "SELECT count(*) FROM actions WHERE portal_id = ? AND requester_id = ?",
        args: [ADA.portal, ADA.sub],
      })
    ).rows[0]![0],
  );

const statusOf = async (ref: string) =>
  (await server.tracker.services.db.get<{ status: string }>(
    sql`SELECT status FROM actions WHERE reference_id = ${ref}`,
  ))!.status;

/** A scheduled action of Ada's, started with her bearer token (what the attacker will try to cancel). */
async function scheduledAction(): Promise<string> {
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("scheduledFor", "2099-01-01T09:00:00Z");
  form.set("file", new File(["email\nlater@example.com\n"], "later.csv"));
  const res = await fetch(`${server.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { referenceId: string }).referenceId;
}

/** A page that posts a multipart upload form (a real file input, filled) to the tracker on load. */
const uploadFormPage = (
  target: string,
) => `<!doctype html><form id="f" method="POST" action="${target}/v1/actions" enctype="multipart/form-data">
<input name="type" value="user_upload"><input type="file" name="file" id="file"></form>
<script>
const dt = new DataTransfer();
dt.items.add(new File(["email\\nvictim@example.com\\n"], "forged.csv", { type: "text/csv" }));
document.getElementById("file").files = dt.files;
document.getElementById("f").submit();
</script>`;

const cancelFormPage = (target: string, ref: string) =>
  `<!doctype html><form id="f" method="POST" action="${target}/v1/actions/${ref}/cancel"></form><script>document.getElementById("f").submit();</script>`;

/** A page whose script calls the tracker with credentials (what a portal's page does with CORS). */
const fetchPage = `<!doctype html><script>
window.post = async (target) => {
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File(["email\\nfetched@example.com\\n"], "fetched.csv"));
  try {
    const res = await fetch(target + "/v1/actions", { method: "POST", body: form, credentials: "include" });
    return res.status;
  } catch (e) { return "blocked: " + e.message; }
};
</script>`;

type Poster = { post: (target: string) => Promise<unknown> };

/** Opens `path` of `site` in the signed-in page; returns what the browser shows once navigation ends. */
async function visit(page: Page, site: { port?: number | undefined }, path: string): Promise<string> {
  const answered = page.waitForResponse(
    (res) => res.url().startsWith(server.url) && res.request().method() === "POST",
  );
  await page.goto(`${origin(site)}${path}`);
  const res = await answered;
  await page.waitForLoadState();
  return `${res.status()} ${await res.text()}`;
}

describeBrowser("in Chromium, from other origins of the same site", () => {
  test("a form from an unlisted origin can neither start an action nor cancel one", async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, server, ADA);
    const ref = await scheduledAction();
    const before = await actionsOfAda();

    pages.set("/upload", uploadFormPage(server.url));
    const upload = await visit(page, unlisted, "/upload");
    expect(upload).toStartWith("403 ");
    expect(upload).toContain("/problems/cross-origin");
    expect(await actionsOfAda()).toBe(before);

    pages.set("/cancel", cancelFormPage(server.url, ref));
    const cancel = await visit(page, unlisted, "/cancel");
    expect(cancel).toStartWith("403 ");
    expect(await statusOf(ref)).toBe("scheduled");
    await context.close();
  }, 30_000);

  test("the listed origin's script may post with the cookie; an unlisted origin's may not", async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, server, ADA);
    pages.set("/fetch", fetchPage);
    const post = () => page.evaluate((target) => (window as never as Poster).post(target), server.url);
    await page.goto(`${origin(listed)}/fetch`);
    const before = await actionsOfAda();
    expect(await post()).toBe(202);
    expect(await actionsOfAda()).toBe(before + 1);
    // Unlisted: CORS hides the answer from the script, and the tracker refused the request itself.
    await page.goto(`${origin(unlisted)}/fetch`);
    expect(String(await post())).toStartWith("blocked");
    expect(await actionsOfAda()).toBe(before + 1);
    await context.close();
  }, 30_000);

  test("the tracker's own page may post with the cookie", async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, server, ADA);
    const status = await page.evaluate(async () => {
      const form = new FormData();
      form.set("type", "user_upload");
      form.set("file", new File(["email\nown@example.com\n"], "own.csv"));
      return (await fetch("/v1/actions", { method: "POST", body: form, credentials: "same-origin" })).status;
    });
    expect(status).toBe(202);
    await context.close();
  }, 30_000);
});

describe("over HTTP: each Origin and Sec-Fetch-Site", () => {
  const post = async (headers: Record<string, string>) => {
    const res = await fetch(`${server.url}/v1/actions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ type: "reminder_send", params: { course: "" } }),
    });
    const body = (await res.json()) as { type?: string };
    // 422: the request got past authentication and the origin check, to its (deliberately bad) params.
    return res.status === 403 ? `403 ${body.type}` : String(res.status);
  };
  let cookie = "";
  beforeAll(async () => {
    cookie = await sessionCookie((path, init) => fetch(`${server.url}${path}`, init), ADA);
  });
  const refused = "403 /problems/cross-origin";

  test.each([
    ["no Origin", {}, refused],
    ["Origin null", { origin: "null" }, refused],
    ["an unlisted origin", { origin: () => origin(unlisted), "sec-fetch-site": "same-site" }, refused],
    ["the tracker's own origin", { origin: () => server.url, "sec-fetch-site": "same-origin" }, "422"],
    ["its own origin, no Sec-Fetch-Site (older browsers)", { origin: () => server.url }, "422"],
    [
      "its own origin but Sec-Fetch-Site cross-site",
      { origin: () => server.url, "sec-fetch-site": "cross-site" },
      refused,
    ],
    ["the listed origin, same-site", { origin: () => origin(listed), "sec-fetch-site": "same-site" }, "422"],
    [
      "the listed origin, cross-site",
      { origin: () => origin(listed), "sec-fetch-site": "cross-site" },
      refused,
    ],
  ] as [string, Record<string, string | (() => string)>, string][])(
    "cookie with %s",
    async (_, given, expected) => {
      const headers = Object.fromEntries(
        Object.entries(given).map(([name, value]) => [name, typeof value === "function" ? value() : value]),
      );
      expect(await post({ cookie, ...headers })).toBe(expected);
    },
  );

  test("bearer tokens are not affected, whatever the Origin", async () => {
    expect(await post({ ...bearer(ADA), origin: origin(unlisted), "sec-fetch-site": "cross-site" })).toBe(
      "422",
    );
  });

  test("safe requests are not refused (CORS keeps the answer from foreign scripts)", async () => {
    const res = await fetch(`${server.url}/v1/actions`, { headers: { cookie, origin: origin(unlisted) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("another origin cannot sign the person out either", async () => {
    const out = await fetch(`${server.url}/v1/session`, {
      method: "DELETE",
      headers: { cookie, origin: origin(unlisted) },
    });
    expect(out.status).toBe(403);
    expect((await fetch(`${server.url}/v1/actions`, { headers: { cookie } })).status).toBe(200);
  });
});
