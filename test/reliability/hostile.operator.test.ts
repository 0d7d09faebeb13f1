/**
 * What an operator relies on (issue 12):
 * - `NODE_ENV=production` refuses to start with the published development secret or an AUTH_SECRET under
 *   32 bytes, naming the variable (it used to start, and anyone could sign admin tokens);
 * - `GET /metrics` wants METRICS_TOKEN when it is set, and holds no tenant data either way;
 * - every answer carries `X-Content-Type-Options: nosniff` (the poll's fast path too), and personal
 *   answers `Cache-Control: private, no-store` (the poll keeps `private, no-cache` for its ETag).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEV_AUTH_SECRET } from "../../src/config";
import { bearer, type Person, sessionCookie } from "../support/env";
import { trackerEnv } from "../support/processes";
import { BUN, type Child, Cluster, ROOT, sharedDatabase, until } from "./support/harness";

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

describe("NODE_ENV=production and AUTH_SECRET", () => {
  const start = async (secret: string) => {
    const proc = Bun.spawn([BUN, "src/main.ts"], {
      cwd: ROOT,
      env: trackerEnv({
        NODE_ENV: "production",
        AUTH_SECRET: secret,
        PORT: "0",
        DATABASE_URL: `file:${cluster.tempDir()}/tracker.db`,
      }),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill(9), 15_000);
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearTimeout(timer);
    return { code, stderr };
  };

  test("the development secret: refuses to start, naming AUTH_SECRET", async () => {
    const { code, stderr } = await start(DEV_AUTH_SECRET);
    expect(code).toBe(1);
    expect(stderr).toContain("AUTH_SECRET is the published development secret");
  });

  test("a secret of 31 bytes: refuses to start, naming AUTH_SECRET and the 32 bytes", async () => {
    const { code, stderr } = await start("x".repeat(31));
    expect(code).toBe(1);
    expect(stderr).toContain("AUTH_SECRET must be at least 32 bytes");
  });

  test("a secret of 32 bytes: starts", async () => {
    const { url } = await sharedDatabase(cluster, cluster.tempDir());
    const child = await cluster.start({
      DATABASE_URL: url,
      NODE_ENV: "production",
      AUTH_SECRET: "y".repeat(32),
    });
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
  });
});

/** Someone whose every identifier is distinctive, to look for in /metrics afterwards. */
const TENANT: Person = {
  sub: "person-qq7",
  portal: "portal-zz9",
  role: "admin",
  email: "secret.person@example.org",
  name: "Secret Person",
};

describe("/metrics and the headers of every answer", () => {
  let server: Child;
  let ref = "";
  const METRICS_TOKEN = "metrics-token-0123456789";
  beforeAll(async () => {
    const { url } = await sharedDatabase(cluster, cluster.tempDir());
    server = await cluster.start({ DATABASE_URL: url, ROLE: "all", METRICS_TOKEN, REPORT_RETENTION: "1h" });
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File(["email\nnot-an-email\n"], "secret-file-name.csv"));
    const res = await fetch(`${server.url}/v1/actions`, {
      method: "POST",
      body: form,
      headers: bearer(TENANT),
    });
    ref = ((await res.json()) as { referenceId: string }).referenceId;
    await until("the upload to end", async () => {
      const view = (await (
        await fetch(`${server.url}/v1/actions/${ref}`, { headers: bearer(TENANT) })
      ).json()) as {
        completedAt: string | null;
      };
      return view.completedAt !== null;
    });
    await fetch(`${server.url}/v1/actions/${ref}/nonsense`, { headers: bearer(TENANT) });
  }, 60_000);

  test("METRICS_TOKEN set: 401 without it or with another, 200 with it", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer not-the-token-at-all" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
    const res = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("tracker_http_requests_total");
    for (const secret of [TENANT.sub, TENANT.portal, TENANT.email, TENANT.name, ref, "secret-file-name"])
      expect(text).not.toContain(secret);
  });

  test("nosniff on every answer; private, no-store on personal ones; the poll revalidates", async () => {
    const cookie = await sessionCookie((path, init) => fetch(`${server.url}${path}`, init), TENANT);
    const etag = (await fetch(`${server.url}/v1/actions/${ref}`, { headers: bearer(TENANT) })).headers.get(
      "etag",
    )!;
    const personal = "private, no-store";
    const cases: [string, string, RequestInit, number, string | null][] = [
      ["poll", `/v1/actions/${ref}`, { headers: bearer(TENANT) }, 200, "private, no-cache"],
      [
        "poll, unchanged",
        `/v1/actions/${ref}`,
        { headers: { ...bearer(TENANT), "if-none-match": etag } },
        304,
        "private, no-cache",
      ],
      ["poll of an unknown reference", "/v1/actions/BA-ZZZZZZZZ", { headers: bearer(TENANT) }, 404, null],
      ["poll without a token", `/v1/actions/${ref}`, {}, 401, null],
      ["list", "/v1/actions", { headers: bearer(TENANT) }, 200, personal],
      ["list with the session cookie", "/v1/actions", { headers: { cookie } }, 200, personal],
      ["error report", `/v1/actions/${ref}/error-report`, { headers: bearer(TENANT) }, 200, personal],
      ["session", "/v1/session", { headers: { cookie } }, 200, personal],
      [
        "cancel of an ended action",
        `/v1/actions/${ref}/cancel`,
        { method: "POST", headers: bearer(TENANT) },
        409,
        personal,
      ],
      ["a 405", "/v1/events", { method: "PATCH", headers: bearer(TENANT) }, 405, personal],
      ["an unknown path", "/nothing-here", {}, 404, null],
      ["healthz", "/healthz", {}, 200, null],
      ["openapi", "/openapi.json", {}, 200, null],
      ["the page", "/", {}, 200, "no-cache"],
    ];
    for (const [name, path, init, status, cacheControl] of cases) {
      const res = await fetch(`${server.url}${path}`, init);
      await res.arrayBuffer();
      expect({ name, status: res.status }).toEqual({ name, status });
      expect({ name, nosniff: res.headers.get("x-content-type-options") }).toEqual({
        name,
        nosniff: "nosniff",
      });
      if (cacheControl !== null)
        expect({ name, cacheControl: res.headers.get("cache-control") }).toEqual({ name, cacheControl });
    }
    const stream = await fetch(`${server.url}/v1/events`, { headers: bearer(TENANT) });
    expect(stream.headers.get("x-content-type-options")).toBe("nosniff");
    expect(stream.headers.get("cache-control")).toBe("no-cache, no-transform");
    await stream.body?.cancel();
  });
});
