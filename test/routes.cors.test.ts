import { afterAll, beforeAll, expect, test } from "bun:test";
import { ADA, bearer } from "./support/env";
import { startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker({ CORS_ORIGINS: "https://portal.example" });
});
afterAll(() => t.stop());

test("the portal's origin may call the API with credentials; others may not", async () => {
  const preflight = await t.request("/v1/actions", {
    method: "OPTIONS",
    headers: {
      origin: "https://portal.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "idempotency-key",
    },
  });
  expect(preflight.headers.get("access-control-allow-origin")).toBe("https://portal.example");
  expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
  const allowed = await t.request("/v1/actions", {
    headers: { ...bearer(ADA), origin: "https://portal.example" },
  });
  expect(allowed.headers.get("access-control-allow-origin")).toBe("https://portal.example");
  expect(allowed.headers.get("access-control-expose-headers")).toContain("ETag");
  const other = await t.request("/v1/actions", {
    headers: { ...bearer(ADA), origin: "https://evil.example" },
  });
  expect(other.headers.get("access-control-allow-origin")).toBeNull();
});

test("polls from the portal's origin carry the CORS headers too", async () => {
  const created = await uploadCsv(t, ADA, "email\nok@x.com\n", "cors.csv");
  expect(created.status).toBe(202);
  const ref = created.headers.get("location")?.split("/").pop() ?? "BA-00000000";
  const poll = await t.request(`/v1/actions/${ref}`, {
    headers: { ...bearer(ADA), origin: "https://portal.example" },
  });
  expect(poll.status).toBe(200);
  expect(poll.headers.get("access-control-allow-origin")).toBe("https://portal.example");
  expect(poll.headers.get("access-control-expose-headers")).toContain("ETag");
  expect(poll.headers.get("x-request-id")).toBeTruthy();
});
