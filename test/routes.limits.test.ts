import { afterAll, beforeAll, expect, test } from "bun:test";
import { ADA, BOB, bearer } from "./support/env";
import { postJson, startTestTracker, type TestTracker } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker({ RATE_LIMIT_ACTIONS: "3", MAX_STREAMS_PER_PERSON: "2" });
});
afterAll(() => t.stop());

const rule = {
  type: "dynamic_rule_start",
  params: { group: "G", rule: { attribute: "role", operator: "equals", value: "admin" } },
};

test("over the per-person action rate: 429 with Retry-After, and nobody else is slowed", async () => {
  for (let i = 0; i < 3; i++) expect((await postJson(t, ADA, rule)).status).toBe(202);
  const refused = await postJson(t, ADA, rule);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(refused.headers.get("content-type")).toBe("application/problem+json");
  expect((await postJson(t, BOB, rule)).status).toBe(202);
  t.clock.advance(21_000);
  expect((await postJson(t, ADA, rule)).status).toBe(202);
});

test("over the open streams per person: 429 with Retry-After; closing one frees a place", async () => {
  const open = () => t.request("/v1/events", { headers: bearer(ADA) });
  const first = await open();
  const second = await open();
  const third = await open();
  expect(third.status).toBe(429);
  expect(third.headers.get("retry-after")).toBe("10");
  expect((await t.request("/v1/events", { headers: bearer(BOB) })).status).toBe(200);
  await first.body!.cancel();
  await Bun.sleep(10);
  const again = await open();
  expect(again.status).toBe(200);
  await second.body!.cancel();
  await again.body!.cancel();
});
