/**
 * Limits, at their defaults, against a real api process: RATE_LIMIT_ACTIONS (60 actions per person per
 * minute) and MAX_STREAMS_PER_PERSON (20) answer 429 with Retry-After and a problem+json; MAX_UPLOAD_BYTES
 * answers 413. Over a limit never slows anyone else down: another person's requests, made at the same
 * time as a flood, keep answering normally (their latencies are printed). A stream whose client vanished
 * without closing (its process killed) gives its place back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADA, BOB, bearer, type Person, tokenFor } from "../support/env";
import { startClient } from "./support/clients";
import { type Child, Cluster, log, percentile } from "./support/harness";

const cluster = new Cluster();
let api: Child;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = cluster.tempDir();
  api = await cluster.start({
    DATABASE_URL: `file:${dir}/tracker.db`,
    ROLE: "api",
    // The defaults (empty = unset): 60 actions a minute, 20 streams per person.
    RATE_LIMIT_ACTIONS: "",
    MAX_STREAMS_PER_PERSON: "",
    MAX_UPLOAD_BYTES: String(1024 * 1024),
  });
  base = api.url!;
});
afterAll(() => cluster.cleanup());

const rule = (n: number) =>
  JSON.stringify({
    type: "dynamic_rule_start",
    params: { group: `G${n}`, rule: { attribute: "role", operator: "equals", value: "admin" } },
  });

const start = (person: Person, n: number) =>
  fetch(`${base}/v1/actions`, {
    method: "POST",
    body: rule(n),
    headers: { ...bearer(person), "content-type": "application/json" },
  });

/** Another person's requests, timed, while something else happens. */
async function timed<T>(work: () => Promise<T>, person: Person = BOB) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let running = true;
  let n = 1000;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const [poll, post] = await Promise.all([
        fetch(`${base}/v1/actions?limit=5`, { headers: bearer(person) }),
        // Bob stays under his own limit: a start now and then.
        n % 10 === 0 ? start(person, n) : Promise.resolve(null),
      ]);
      n++;
      latencies.push(performance.now() - t0);
      for (const res of [poll, post]) {
        if (!res) continue;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await res.arrayBuffer();
      }
      await Bun.sleep(20);
    }
  })();
  const result = await work();
  running = false;
  await loop;
  latencies.sort((a, b) => a - b);
  return { result, latencies, statuses: Object.fromEntries(statuses) };
}

describe("RATE_LIMIT_ACTIONS (default 60 a minute)", () => {
  test("60 starts pass, the 61st gets 429 with Retry-After, a flood of refusals does not slow Bob, Retry-After is honest", async () => {
    const baseline = await timed(() => Bun.sleep(1_000));
    const { result, latencies, statuses } = await timed(async () => {
      const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => start(ADA, i)));
      const accepted = burst.filter((r) => r.status === 202).length;
      const refused = await start(ADA, 60);
      const problem = (await refused.json()) as { type: string; status: number; detail: string };
      // A flood of 300 more, some with a body near the upload limit: each refused before its body is read.
      const big = new Uint8Array(900 * 1024).fill(0x61);
      const t0 = performance.now();
      const flood = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          fetch(`${base}/v1/actions`, {
            method: "POST",
            body: i % 10 === 0 ? big : rule(i),
            headers: {
              ...bearer(ADA),
              "content-type": i % 10 === 0 ? "multipart/form-data; boundary=x" : "application/json",
            },
          }).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          }),
        ),
      );
      const floodMs = performance.now() - t0;
      return { accepted, refused, problem, flood, floodMs };
    });
    expect(result.accepted).toBe(60);
    expect(result.refused.status).toBe(429);
    expect(result.refused.headers.get("content-type")).toBe("application/problem+json");
    expect(result.problem.type).toBe("/problems/rate-limited");
    const retryAfter = Number(result.refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    // The bucket refills one start a second: a slow flood may see that many go through, nothing else.
    const through = result.flood.filter((s) => s === 202).length;
    expect(result.flood.filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect(through).toBeLessThanOrEqual(Math.ceil(result.floodMs / 1000) + 1);
    log(
      `limits: 300 refused starts answered in ${Math.round(result.floodMs)} ms; Bob meanwhile p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms (alone: p50 ${percentile(baseline.latencies, 50).toFixed(1)} ms, p99 ${percentile(baseline.latencies, 99).toFixed(1)} ms); Retry-After ${retryAfter} s`,
    );
    expect(Object.keys(statuses).sort()).toEqual(["200", "202"]);
    // Bob's latencies are logged above, not asserted: on a busy CI machine any bound is a coin toss.
    // What is asserted is that every one of his requests was answered normally (the statuses).

    // Waiting what Retry-After says is enough.
    await Bun.sleep(retryAfter * 1000 + 50);
    const again = await start(ADA, 1000);
    expect(again.status).toBe(202);
  }, 60_000);
});

describe("MAX_STREAMS_PER_PERSON (default 20)", () => {
  const open = (person: Person, controller: AbortController) =>
    fetch(`${base}/v1/events`, { headers: bearer(person), signal: controller.signal });

  test("the 21st stream gets 429 with Retry-After; Bob's streams are not affected; closing one frees a place", async () => {
    const controllers = Array.from({ length: 21 }, () => new AbortController());
    const streams = await Promise.all(controllers.slice(0, 20).map((c) => open(ADA, c)));
    expect(streams.map((s) => s.status)).toEqual(Array(20).fill(200));
    const refused = await open(ADA, controllers[20]!);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    await refused.arrayBuffer();
    const bob = new AbortController();
    const bobs = await Promise.all(Array.from({ length: 5 }, () => open(BOB, bob)));
    expect(bobs.map((s) => s.status)).toEqual(Array(5).fill(200));
    bob.abort();

    controllers[0]!.abort();
    // The replacement is closed with the others below: left open, it held a place until the collector
    // happened to close it, so on a busy machine the 20 reopened below found only 19 places.
    const replacement = new AbortController();
    controllers.push(replacement);
    const replaced = await until200(() => open(ADA, replacement), 30_000);
    expect(replaced.status).toBe(200);
    for (const c of controllers) c.abort();
    // Every place comes back once the streams are closed (the server notices each close on its own time).
    const later = Array.from({ length: 20 }, () => new AbortController());
    const reopened = await Promise.all(later.map((c) => until200(() => open(ADA, c), 30_000)));
    expect(reopened.map((s) => s.status)).toEqual(Array(20).fill(200));
    for (const c of later) c.abort();
  }, 30_000);

  test("streams whose client process was killed (no clean close) give their places back", async () => {
    const person: Person = { ...ADA, sub: "u-vanishing", email: "vanish@example.com" };
    const client = await startClient(cluster, dir, "vanishing", {
      url: base,
      streams: Array.from({ length: 20 }, () => ({
        token: tokenFor(person),
        owner: `${person.portal}|${person.sub}`,
        resume: false,
      })),
      polls: [],
      pollIntervalMs: 1_000,
    });
    expect(client.ready.streams).toBe(20);
    const blocked = await fetch(`${base}/v1/events`, { headers: bearer(person) });
    expect(blocked.status).toBe(429);
    await blocked.arrayBuffer();
    process.kill(client.pid, 9);
    const t0 = Date.now();
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const again = await Promise.all(
      controllers.map((c) =>
        until200(() => fetch(`${base}/v1/events`, { headers: bearer(person), signal: c.signal }), 15_000),
      ),
    );
    log(`limits: 20 stream places freed ${Date.now() - t0} ms after their client was killed`);
    expect(again.map((s) => s.status)).toEqual(Array(20).fill(200));
    for (const c of controllers) c.abort();
  }, 40_000);
});

describe("MAX_UPLOAD_BYTES", () => {
  test("a body over the limit gets 413 problem+json; Bob keeps answering normally", async () => {
    const { result, latencies, statuses } = await timed(async () => {
      const form = new FormData();
      form.set("type", "user_upload");
      form.set("file", new File([new Uint8Array(2 * 1024 * 1024).fill(0x61)], "big.csv"));
      const res = await fetch(`${base}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
      return { status: res.status, problem: (await res.json()) as { type: string } };
    });
    expect(result.status).toBe(413);
    expect(result.problem.type).toBe("/problems/too-large");
    expect(Object.keys(statuses).filter((s) => s !== "200" && s !== "202")).toEqual([]);
    expect(latencies.length).toBeGreaterThan(0);
  }, 30_000);
});

// Regression: Bun.serve's own body limit (maxRequestBodySize, 128 MiB by default) once answered a bare
// 413 before the app saw the body; main.ts now sets it from MAX_UPLOAD_BYTES.
test("MAX_UPLOAD_BYTES above 128 MiB is honoured: a 130 MiB upload under a 200 MiB limit is accepted", async () => {
  const big = await cluster.start({
    DATABASE_URL: `file:${dir}/big.db`,
    ROLE: "api",
    MAX_UPLOAD_BYTES: String(200 * 1024 * 1024),
  });
  const form = new FormData();
  form.set("type", "user_upload");
  form.set(
    "file",
    new File(["email\nbig@example.com\n", new Uint8Array(130 * 1024 * 1024).fill(0x20)], "big.csv"),
  );
  const res = await fetch(`${big.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
  const body = await res.text();
  log(
    `limits: a 130 MiB upload under MAX_UPLOAD_BYTES=200 MiB: ${res.status} ${res.headers.get("content-type")} ${body.slice(0, 80)}`,
  );
  await big.kill9();
  expect(res.status).toBe(202);
}, 60_000);

/** Retries `attempt` until it answers 200 (a place frees up), or gives the last answer after `timeoutMs`. */
async function until200(attempt: () => Promise<Response>, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await attempt();
    if (res.status === 200 || Date.now() > deadline) return res;
    await res.arrayBuffer();
    await Bun.sleep(100);
  }
}
