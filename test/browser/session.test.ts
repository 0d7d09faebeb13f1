/**
 * The HTTP side of the page (no browser needed): the session cookie's attributes, the development
 * sign-in and its absence in production, and the page's headers, caching and weight.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { pageWeight } from "../../src/ui/routes";
import { ADA, LEO, tokenFor } from "../support/env";
import { startTestTracker, type TestTracker } from "../support/tracker";

let t: TestTracker;
afterEach(() => t?.stop());

const post = (token: string, headers: Record<string, string> = {}, url = "/v1/session") =>
  t.request(url, { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers } });

const cookieOf = (res: Response) => res.headers.get("set-cookie") ?? "";

describe("POST/GET/DELETE /v1/session", () => {
  test("exchanges a bearer token for an HttpOnly, SameSite=Strict cookie that lasts as long as the token", async () => {
    t = await startTestTracker();
    const exp = Math.floor(t.clock.now() / 1000) + 3600;
    const token = tokenFor(ADA, { exp });
    const res = await post(token);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { principal: { name: string }; expiresAt: string };
    expect(body.principal.name).toBe("Ada Admin");
    expect(JSON.stringify(body)).not.toContain(token);
    const cookie = cookieOf(res);
    expect(cookie).toStartWith(`tracker_session=${token};`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("Max-Age=3600");
    expect(cookie).not.toContain("Secure");

    const who = await t.request("/v1/session", { headers: { cookie: `tracker_session=${token}` } });
    expect(((await who.json()) as { principal: { email: string } }).principal.email).toBe(ADA.email);
    const list = await t.request("/v1/actions", { headers: { cookie: `tracker_session=${token}` } });
    expect(list.status).toBe(200);
  });

  test("is Secure over HTTPS, directly or behind a proxy; without exp the cookie ends with the browser", async () => {
    t = await startTestTracker();
    expect(cookieOf(await post(tokenFor(ADA), { "x-forwarded-proto": "https" }))).toContain("Secure");
    expect(cookieOf(await post(tokenFor(ADA), {}, "https://tracker.example.com/v1/session"))).toContain(
      "Secure",
    );
    expect(cookieOf(await post(tokenFor(ADA)))).not.toContain("Max-Age");
  });

  test("refuses bad tokens (401) and learners (403), setting no cookie", async () => {
    t = await startTestTracker();
    for (const res of [
      await post("not-a-token"),
      await post(tokenFor(ADA, {}, "another-secret-0123456789")),
      await post(tokenFor(ADA, { exp: Math.floor(t.clock.now() / 1000) - 1 })),
      await t.request("/v1/session", { method: "POST" }),
      await t.request("/v1/session"),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const learner = await post(tokenFor(LEO));
    expect(learner.status).toBe(403);
    expect(learner.headers.get("set-cookie")).toBeNull();
  });

  test("DELETE clears the cookie, signed in or not", async () => {
    t = await startTestTracker();
    const res = await t.request("/v1/session", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(cookieOf(res)).toContain("tracker_session=;");
    expect(cookieOf(res)).toContain("Max-Age=0");
  });
});

describe("the development sign-in", () => {
  test("signs in the demo admin and returns to a local path only", async () => {
    t = await startTestTracker();
    const res = await t.request("/dev/sign-in?next=%2F%3Fref%3DBA-7K3Q9X2M");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/?ref=BA-7K3Q9X2M");
    const token = /tracker_session=([^;]+)/.exec(cookieOf(res))?.[1];
    const who = await t.request("/v1/session", { headers: { cookie: `tracker_session=${token}` } });
    expect(((await who.json()) as { principal: { portal: string } }).principal.portal).toBe("demo");
    for (const next of ["//evil.example", "https://evil.example/", "/\\evil.example"]) {
      const away = await t.request(`/dev/sign-in?next=${encodeURIComponent(next)}`);
      expect(away.headers.get("location")).toBe("/");
    }
  });

  test("does not exist in production: 404 like any unknown path, and the page offers no link", async () => {
    t = await startTestTracker({
      NODE_ENV: "production",
      AUTH_SECRET: "prod-secret-0123456789abcdef-0123456789",
    });
    const res = await t.request("/dev/sign-in");
    expect(res.status).toBe(404);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await (await t.request("/")).text()).toContain('data-dev="false"');
  });
});

describe("the page", () => {
  test("is served with a strict CSP, revalidated, and its assets are immutable", async () => {
    t = await startTestTracker();
    const res = await t.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const rule of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(rule);
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain("unsafe");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const again = await t.request("/", { headers: { "if-none-match": res.headers.get("etag")! } });
    expect(again.status).toBe(304);

    const html = await res.text();
    const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const path of assets) {
      const asset = await t.request(path);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
    const script = await (await t.request(assets.find((a) => a.endsWith(".js"))!)).text();
    for (const sink of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("])
      expect(script).not.toContain(sink);
  });

  test("weighs under 50 KB with its script and styles", () => {
    const weight = pageWeight();
    expect(weight.total).toBeLessThan(50 * 1024);
  });
});
