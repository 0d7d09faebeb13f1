/**
 * `GET /v1/actions/:referenceId` answers apart from the middleware chain (src/app.ts, answerPollsAlone):
 * it must still do everything the chain does for other routes — request id, authentication, the access
 * check, problem+json, its log line and metrics — and leave every other method on that path to the app.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ManualClock } from "../src/lib/clock";
import { startProcess, type TrackerProcess } from "../src/process";
import { checkedRequest } from "./support/contract";
import { ADA, BOB, bearer, EVE, LEO, sessionCookie, tempDir, testConfig } from "./support/env";
import { uploadCsv } from "./support/tracker";

const dir = tempDir();
const lines: Record<string, unknown>[] = [];
let tracker: TrackerProcess;
let ref: string;
let etag: string;
beforeAll(async () => {
  tracker = await startProcess(testConfig(dir.path, { ROLE: "api" }), {
    clock: new ManualClock(Date.now()),
    log: (l) => lines.push(l),
  });
  const res = await uploadCsv({ request }, ADA, "email\nok@x.com\n", "poll.csv");
  ({ referenceId: ref } = await res.json());
  etag = res.headers.get("etag")!;
});
afterAll(async () => {
  await tracker.stop();
  dir.cleanup();
});

const request = checkedRequest((path, init) => tracker.app.request(path, init));
const linesOf = (id: string | null) => lines.filter((l) => l.msg === "request" && l.requestId === id);

test("a poll has a request id, a log line and metrics, like any other route", async () => {
  const res = await request(`/v1/actions/${ref}`, { headers: { ...bearer(ADA), "x-request-id": "poll-1" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("x-request-id")).toBe("poll-1");
  expect(res.headers.get("etag")).toBe(etag);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect((await res.json()).referenceId).toBe(ref);
  expect(linesOf("poll-1")).toEqual([
    expect.objectContaining({ method: "GET", route: "/v1/actions/:referenceId", status: 200 }),
  ]);
  const fresh = await request(`/v1/actions/${ref}`, { headers: bearer(ADA) });
  expect(fresh.headers.get("x-request-id")).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
  const metrics = await (await request("/metrics")).text();
  expect(metrics).toMatch(
    /tracker_http_requests_total\{method="GET",route="\/v1\/actions\/:referenceId",status="200"\} [2-9]/,
  );
});

test("If-None-Match with the current ETag answers 304; HEAD answers like GET without a body", async () => {
  const same = await request(`/v1/actions/${ref}`, { headers: { ...bearer(ADA), "if-none-match": etag } });
  expect(same.status).toBe(304);
  expect(same.headers.get("etag")).toBe(etag);
  const listed = await request(`/v1/actions/${ref}`, {
    headers: { ...bearer(ADA), "if-none-match": `"BA-00000000.1", W/${etag}` },
  });
  expect(listed.status).toBe(304);
  const head = await request(`/v1/actions/${ref}`, { method: "HEAD", headers: bearer(ADA) });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe("");
});

test("a reference typed loosely is read; someone else's action is answered as missing", async () => {
  const loose = ref.toLowerCase().replace(/0/g, "o");
  expect((await request(`/v1/actions/${loose}`, { headers: bearer(ADA) })).status).toBe(200);
  for (const person of [BOB, EVE]) {
    const res = await request(`/v1/actions/${ref}`, { headers: bearer(person) });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = await res.json();
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
  }
  expect((await request("/v1/actions/not-a-reference", { headers: bearer(ADA) })).status).toBe(404);
});

test("polls authenticate like every route: 401 with a challenge, 403 for learners, cookies accepted", async () => {
  const none = await request(`/v1/actions/${ref}`);
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toContain("Bearer");
  expect((await none.json()).requestId).toBe(none.headers.get("x-request-id"));
  const forged = await request(`/v1/actions/${ref}`, { headers: { authorization: "Bearer a.b.c" } });
  expect(forged.status).toBe(401);
  const malformed = await request(`/v1/actions/${ref}`, { headers: { authorization: "Basic abc" } });
  expect(malformed.status).toBe(401);
  // Twice: the second time the learner's token is already verified and cached; still refused.
  for (let i = 0; i < 2; i++)
    expect((await request(`/v1/actions/${ref}`, { headers: bearer(LEO) })).status).toBe(403);
  const session = await sessionCookie(request, ADA, tracker.services.clock.now());
  const cookie = await request(`/v1/actions/${ref}`, { headers: { cookie: session } });
  expect(cookie.status).toBe(200);
  const failed = lines.filter((l) => l.msg === "request" && l.route === "/v1/actions/:referenceId");
  expect(failed.map((l) => l.status)).toEqual(expect.arrayContaining([401, 403]));
});

test("other methods on the poll path still reach the app: 405 with Allow", async () => {
  const res = await request(`/v1/actions/${ref}`, { method: "DELETE", headers: bearer(ADA) });
  expect(res.status).toBe(405);
  expect(res.headers.get("allow")).toBe("GET");
  const cancel = await request(`/v1/actions/${ref}/cancel`, { method: "POST", headers: bearer(ADA) });
  expect([200, 409]).toContain(cancel.status);
});
