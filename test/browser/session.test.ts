/**
 * The HTTP side of the page (no browser needed): the session cookie's attributes, the development
 * sign-in and its absence in production, and the page's headers, caching and weight.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ADA, LEO, tokenFor } from "../support/env";
import { startTestTracker, type TestTracker } from "../support/tracker";

let t: TestTracker;
afterEach(() => t?.stop());

const post = (token: string, headers: Record<string, string> = {}, url = "/v1/session") =>
  t.request(url, { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers } });

const cookieOf = (res: Response) => res.headers.get("set-cookie") ?? "";

const sessionIdOf = (res: Response) => /tracker_session=([^;]*)/.exec(cookieOf(res))?.[1] ?? "";
const asCookie = (res: Response) => ({ cookie: `tracker_session=${sessionIdOf(res)}` });
/** A time `s` seconds from now, with the clock on a whole second so lifetimes come out exact. */
const inSeconds = (s: number) => {
  t.clock.set(Math.floor(t.clock.now() / 1000) * 1000);
  return t.clock.now() / 1000 + s;
};

describe("POST/GET/DELETE /v1/session", () => {
  test("exchanges a bearer token for an HttpOnly, SameSite=Strict cookie holding a session id, not the token", async () => {
    t = await startTestTracker();
    const token = tokenFor(ADA, { exp: inSeconds(3600) });
    const res = await post(token);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const body = (await res.json()) as { principal: { name: string }; expiresAt: string };
    expect(body.principal.name).toBe("Ada Admin");
    expect(JSON.stringify(body)).not.toContain(token);
    const cookie = cookieOf(res);
    expect(sessionIdOf(res)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toContain(token);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("Max-Age=3600");
    expect(cookie).not.toContain("Secure");

    const who = await t.request("/v1/session", { headers: asCookie(res) });
    expect(((await who.json()) as { principal: { email: string } }).principal.email).toBe(ADA.email);
    const list = await t.request("/v1/actions", { headers: asCookie(res) });
    expect(list.status).toBe(200);
    // Only the hash of the id is stored.
    const stored = await t.tracker.database.client.execute("SELECT id_hash FROM sessions");
    expect(stored.rows.map((r) => r[0])).not.toContain(sessionIdOf(res));
  });

  test("lives SESSION_TTL, or less when the token ends sooner", async () => {
    t = await startTestTracker({ SESSION_TTL: "30m" });
    const long = await post(tokenFor(ADA, { exp: inSeconds(86_400) }));
    expect(cookieOf(long)).toContain("Max-Age=1800");
    const short = await post(tokenFor(ADA, { exp: inSeconds(600) }));
    expect(cookieOf(short)).toContain("Max-Age=600");
    t.clock.advance(601_000);
    expect((await t.request("/v1/actions", { headers: asCookie(short) })).status).toBe(401);
    expect((await t.request("/v1/actions", { headers: asCookie(long) })).status).toBe(200);
    t.clock.advance(1_200_000);
    expect((await t.request("/v1/actions", { headers: asCookie(long) })).status).toBe(401);
  });

  test("is Secure over HTTPS, directly or behind a proxy", async () => {
    t = await startTestTracker();
    const token = tokenFor(ADA, { exp: inSeconds(3600) });
    expect(cookieOf(await post(token, { "x-forwarded-proto": "https" }))).toContain("Secure");
    expect(cookieOf(await post(token, {}, "https://tracker.example.com/v1/session"))).toContain("Secure");
  });

  test("refuses bad tokens and tokens without exp (401) and learners (403), setting no cookie", async () => {
    t = await startTestTracker();
    for (const res of [
      await post("not-a-token"),
      await post(tokenFor(ADA, { exp: inSeconds(60) }, "another-secret-0123456789")),
      await post(tokenFor(ADA, { exp: inSeconds(-1) })),
      await post(tokenFor(ADA)),
      await t.request("/v1/session", { method: "POST" }),
      await t.request("/v1/session"),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const noExp = await post(tokenFor(ADA));
    expect(((await noExp.json()) as { detail: string }).detail).toContain("no expiry");
    const learner = await post(tokenFor(LEO, { exp: inSeconds(60) }));
    expect(learner.status).toBe(403);
    expect(learner.headers.get("set-cookie")).toBeNull();
  });

  test("DELETE ends the session on the server: the cookie replayed is refused", async () => {
    t = await startTestTracker();
    const res = await post(tokenFor(ADA, { exp: inSeconds(3600) }));
    const signedIn = asCookie(res);
    expect((await t.request("/v1/actions", { headers: signedIn })).status).toBe(200);
    const out = await t.request("/v1/session", {
      method: "DELETE",
      headers: { ...signedIn, origin: "http://localhost" },
    });
    expect(out.status).toBe(204);
    expect(cookieOf(out)).toContain("tracker_session=;");
    expect(cookieOf(out)).toContain("Max-Age=0");
    for (const path of ["/v1/actions", "/v1/session", "/v1/actions/BA-ZZZZZZZZ", "/v1/events"])
      expect((await t.request(path, { headers: signedIn })).status).toBe(401);
  });

  test("DELETE without a session still clears the cookie", async () => {
    t = await startTestTracker();
    const res = await t.request("/v1/session", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(cookieOf(res)).toContain("Max-Age=0");
  });
});

describe("the development sign-in", () => {
  test("signs in the demo admin and returns to a local path only", async () => {
    t = await startTestTracker();
    const res = await t.request("/dev/sign-in?next=%2F%3Fref%3DBA-7K3Q9X2M");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/?ref=BA-7K3Q9X2M");
    const who = await t.request("/v1/session", { headers: asCookie(res) });
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

  test("weighs under 50 KB with its script and styles, as served (the sizes are printed)", async () => {
    t = await startTestTracker();
    const bytes = async (res: Response) => (await res.arrayBuffer()).byteLength;
    const res = await t.request("/");
    const html = await res.clone().text();
    const [css, js] = [".css", ".js"].map((ext) => new RegExp(`="(/assets/[^"]+\\${ext})"`).exec(html)?.[1]);
    const weight = {
      html: await bytes(res),
      js: await bytes(await t.request(js!)),
      css: await bytes(await t.request(css!)),
    };
    const total = weight.html + weight.js + weight.css;
    console.log(
      `page weight: ${(total / 1024).toFixed(1)} KB (HTML ${weight.html} B, script ${weight.js} B, styles ${weight.css} B; budget 50 KB)`,
    );
    expect(total).toBeLessThan(50 * 1024);
  });
});
