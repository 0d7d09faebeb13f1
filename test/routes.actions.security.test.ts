import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signToken } from "../src/http/auth";
import { ADA, BOB, bearer, EVE, LEO, sessionCookie, TEST_SECRET, tokenFor } from "./support/env";
import { startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
let adaRef: string;
beforeAll(async () => {
  t = await startTestTracker();
  const res = await uploadCsv(t, ADA, "email,first_name,last_name\nbad-email,A,B\nok@x.com,O,K\n", "ada.csv");
  adaRef = (await res.json()).referenceId;
  await t.drain();
});
afterAll(() => t.stop());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("authentication", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const refused: [string, Record<string, string>][] = [
    ["no token", {}],
    ["a malformed header", { authorization: "Token abc" }],
    ["a malformed token", { authorization: "Bearer not.a.jwt" }],
    ["a wrong key", { authorization: `Bearer ${signToken({ ...ADA }, "another-secret-entirely-123")}` }],
    ["an expired token", { authorization: `Bearer ${tokenFor(ADA, { exp: now() - 10 })}` }],
    ["a token not valid yet", { authorization: `Bearer ${tokenFor(ADA, { nbf: now() + 3600 })}` }],
    ["alg none", { authorization: `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64(ADA)}.` }],
    ["RS256 claimed", { authorization: `Bearer ${b64({ alg: "RS256" })}.${b64(ADA)}.${"x".repeat(43)}` }],
    ["claims missing", { authorization: `Bearer ${signToken({ sub: "u-1" }, TEST_SECRET)}` }],
    ["a bad cookie", { cookie: "tracker_session=garbage" }],
  ];
  for (const [name, headers] of refused) {
    test(`${name}: 401 problem+json`, async () => {
      const res = await t.request("/v1/actions", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
    });
  }

  test("a session cookie is accepted like a bearer token; a token in its place is not a session", async () => {
    const cookie = await sessionCookie(t.request, ADA, t.clock.now());
    const res = await t.request("/v1/actions", { headers: { cookie } });
    expect(res.status).toBe(200);
    const token = await t.request("/v1/actions", { headers: { cookie: `tracker_session=${tokenFor(ADA)}` } });
    expect(token.status).toBe(401);
  });

  test("a learner gets 403", async () => {
    const res = await t.request("/v1/actions", { headers: bearer(LEO) });
    expect(res.status).toBe(403);
  });
});

describe("isolation: someone else's action is exactly like an unknown one", () => {
  const others = [
    ["another person in the portal", BOB],
    ["the same sub in another portal", EVE],
  ] as const;
  for (const [name, person] of others) {
    test(`${name}: 404 everywhere, absent from the list`, async () => {
      const unknown = await t.request("/v1/actions/BA-ZZZZZZZZ", { headers: bearer(person) });
      const theirs = await t.request(`/v1/actions/${adaRef}`, { headers: bearer(person) });
      expect(theirs.status).toBe(404);
      const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
      expect(strip(await theirs.json())).toEqual(strip(await unknown.json()));
      for (const path of [`/v1/actions/${adaRef}/cancel`]) {
        expect((await t.request(path, { method: "POST", headers: bearer(person) })).status).toBe(404);
      }
      expect(
        (await t.request(`/v1/actions/${adaRef}/error-report`, { headers: bearer(person) })).status,
      ).toBe(404);
      const list = await (await t.request("/v1/actions", { headers: bearer(person) })).json();
      expect(list.items.map((a: { referenceId: string }) => a.referenceId)).not.toContain(adaRef);
    });
  }

  test("another person's idempotency key does not return Ada's action", async () => {
    const form = () => {
      const f = new FormData();
      f.set("type", "user_upload");
      f.set("file", new File(["email\nx@x.com\n"], "x.csv"));
      return f;
    };
    const a = await (
      await t.request("/v1/actions", {
        method: "POST",
        body: form(),
        headers: { ...bearer(ADA), "idempotency-key": "shared" },
      })
    ).json();
    const b = await (
      await t.request("/v1/actions", {
        method: "POST",
        body: form(),
        headers: { ...bearer(BOB), "idempotency-key": "shared" },
      })
    ).json();
    expect(b.referenceId).not.toBe(a.referenceId);
    expect(b.requester.id).toBe("u-2");
  });

  test("the stream carries only the caller's own events", async () => {
    const res = await t.request("/v1/events?lastEventId=0", { headers: bearer(EVE) });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(first).not.toContain(adaRef);
  });
});
