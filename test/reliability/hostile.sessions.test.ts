/**
 * Signing out ends the session on the server (issue 12): the `tracker_session` cookie holds a session id
 * the tracker minted, and `DELETE /v1/session` revokes it. Several api processes share the database:
 * the one that revoked refuses the cookie at once, every other one within SESSION_RECHECK (shown exactly
 * with controlled clocks, and on real processes). The development sign-in link mints a session too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pruneSessions } from "../../src/http/sessions";
import { ManualClock } from "../../src/lib/clock";
import { startProcess, type TrackerProcess } from "../../src/process";
import { ADA, sessionCookie, tempDir, testConfig } from "../support/env";
import { type Child, Cluster, log, sharedDatabase, until } from "./support/harness";

describe("two api processes on one database, real processes", () => {
  const cluster = new Cluster();
  let a: Child;
  let b: Child;
  beforeAll(async () => {
    const { url } = await sharedDatabase(cluster, cluster.tempDir());
    [a, b] = await Promise.all([
      cluster.start({ DATABASE_URL: url, ROLE: "api", SESSION_RECHECK: "1s" }),
      cluster.start({ DATABASE_URL: url, ROLE: "api", SESSION_RECHECK: "1s" }),
    ]);
  }, 30_000);
  afterAll(() => cluster.cleanup());

  test("a session signed out on one process is refused by the other within SESSION_RECHECK", async () => {
    const cookie = await sessionCookie((path, init) => fetch(`${a.url}${path}`, init), ADA);
    const list = (child: Child) => fetch(`${child.url}/v1/actions`, { headers: { cookie } });
    expect((await list(a)).status).toBe(200);
    expect((await list(b)).status).toBe(200);
    const out = await fetch(`${a.url}/v1/session`, { method: "DELETE", headers: { cookie, origin: a.url! } });
    expect(out.status).toBe(204);
    const revokedAt = performance.now();
    expect((await list(a)).status).toBe(401);
    await until(
      "the other process to refuse the session",
      async () => (await list(b)).status === 401,
      15_000,
    );
    log(
      `hostile.sessions: revoked on one api process, refused by the other after ${Math.round(performance.now() - revokedAt)} ms (SESSION_RECHECK=1s)`,
    );
    // The cookie replayed anywhere, on any route, stays refused.
    for (const child of [a, b])
      for (const path of ["/v1/session", "/v1/actions/BA-ZZZZZZZZ", "/v1/events"])
        expect((await fetch(`${child.url}${path}`, { headers: { cookie } })).status).toBe(401);
  }, 30_000);
});

describe("with controlled clocks: exactly SESSION_RECHECK", () => {
  const dir = tempDir();
  const clocks = [new ManualClock(Date.now()), new ManualClock(Date.now())];
  let trackers: TrackerProcess[] = [];
  beforeAll(async () => {
    const config = testConfig(dir.path, { ROLE: "api", SESSION_RECHECK: "2s" });
    for (const clock of clocks) trackers.push(await startProcess(config, { clock, log: () => {} }));
  });
  afterAll(async () => {
    for (const tracker of trackers) await tracker.stop();
    trackers = [];
    dir.cleanup();
  });

  test("the revoking process refuses at once; the other holds the session until its next check, then refuses", async () => {
    const [a, b] = trackers as [TrackerProcess, TrackerProcess];
    const cookie = await sessionCookie(a.app.request, ADA, clocks[0]!.now());
    const list = (t: TrackerProcess) => t.app.request("/v1/actions", { headers: { cookie } });
    expect((await list(b)).status).toBe(200);
    const out = await a.app.request("/v1/session", {
      method: "DELETE",
      headers: { cookie, origin: "http://localhost" },
    });
    expect(out.status).toBe(204);
    expect((await list(a)).status).toBe(401);
    clocks[1]!.advance(1_999);
    expect((await list(b)).status).toBe(200);
    clocks[1]!.advance(1);
    expect((await list(b)).status).toBe(401);
  });

  test("a stream opened with the session on another process ends at its first heartbeat after the sign-out", async () => {
    const [a, b] = trackers as [TrackerProcess, TrackerProcess];
    const cookie = await sessionCookie(a.app.request, ADA, clocks[0]!.now());
    const stream = await b.app.request("/v1/events", { headers: { cookie } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    b.services.hub.pingAll();
    await a.app.request("/v1/session", { method: "DELETE", headers: { cookie, origin: "http://localhost" } });
    clocks[1]!.advance(2_000);
    // The heartbeat (every 10 s in a process; called here) asks the session store, which reads the row.
    b.services.hub.pingAll();
    expect(await ended).toBe(true);
    expect(b.services.hub.countOf(ADA)).toBe(0);
  });

  test("a session ends at SESSION_TTL or at its token's exp, whichever comes first, on every process", async () => {
    const [a, b] = trackers as [TrackerProcess, TrackerProcess];
    for (const clock of clocks) clock.set(Math.floor(Date.now() / 1000) * 1000);
    const cookie = await sessionCookie(a.app.request, ADA, clocks[0]!.now());
    expect((await b.app.request("/v1/actions", { headers: { cookie } })).status).toBe(200);
    // The helper's token ends in an hour (before the default SESSION_TTL of 12 h).
    for (const clock of clocks) clock.advance(3_600_000);
    for (const t of [a, b])
      expect((await t.app.request("/v1/actions", { headers: { cookie } })).status).toBe(401);
  });

  test("ended sessions are pruned a day after they end; live ones stay", async () => {
    const [a] = trackers as [TrackerProcess];
    const live = await sessionCookie(a.app.request, ADA, clocks[0]!.now());
    const count = async () =>
      Number((await a.database.client.execute("SELECT count(*) FROM sessions")).rows[0]![0]);
    const before = await count();
    expect(await pruneSessions(a.services.db, clocks[0]!.now() + 86_400_000 + 3_600_000)).toBe(before - 1);
    expect(await count()).toBe(1);
    expect(live).toStartWith("tracker_session=");
  });

  test("the development sign-in link mints a stored, revocable session, not a token in a cookie", async () => {
    const [a] = trackers as [TrackerProcess];
    const res = await a.app.request("/dev/sign-in");
    expect(res.status).toBe(303);
    const id = /tracker_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = `tracker_session=${id}`;
    expect((await a.app.request("/v1/session", { headers: { cookie } })).status).toBe(200);
    await a.app.request("/v1/session", { method: "DELETE", headers: { cookie, origin: "http://localhost" } });
    expect((await a.app.request("/v1/session", { headers: { cookie } })).status).toBe(401);
  });
});
