/**
 * Live streams at the edge, held by one Durable Object per portal, in workerd (Miniflare) with the
 * bindings wrangler.toml declares and D1 behind the probe (test/support/d1-probe.ts) so its statements
 * can be counted: idle streams read nothing, a change reaches exactly its owner's streams, the
 * per-person limit, replay with Last-Event-ID, the catch-up of a change nobody announced, and a stream
 * whose object is restarted (workerd restarted, as a deployment does) resuming with no gap and no
 * duplicate.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isFinal } from "../src/actions/model";
import type { ActionView } from "../src/actions/view";
import { probeLines } from "./support/d1-probe";
import { ADA, BOB, bearer, EVE, type Person, TEST_SECRET, tempDir } from "./support/env";
import { type Bundle, type EdgeWorker, sharedWorkerBundle, startEdgeWorker } from "./support/miniflare";
import { type SseFrame, SseReader } from "./support/sse";
import { uploadCsv } from "./support/tracker";
import { usersCsv } from "./support/users-csv";

const HELLO_FRESH = /^retry: 2000\nid: \d+\n: connected$/;

let bundle: Bundle;
const started: EdgeWorker[] = [];
const dirs: { cleanup(): void }[] = [];

beforeAll(async () => {
  bundle = await sharedWorkerBundle();
}, 60_000);

afterAll(async () => {
  for (const edge of started) await edge.stop();
  for (const dir of dirs) dir.cleanup();
});

async function worker(bindings: Record<string, string>, persist = false) {
  const dir = persist ? tempDir("tracker-edge-streams-") : null;
  if (dir) dirs.push(dir);
  const edge = await startEdgeWorker(
    bundle,
    { AUTH_SECRET: TEST_SECRET, ...bindings },
    { probe: { log: true }, ...(dir ? { persistTo: dir.path } : {}) },
  );
  started.push(edge);
  return edge;
}

async function connect(edge: EdgeWorker, person: Person, lastEventId?: string) {
  const headers = { ...bearer(person), ...(lastEventId ? { "last-event-id": lastEventId } : {}) };
  return edge.request("/v1/events", { headers });
}

async function open(edge: EdgeWorker, person: Person, lastEventId?: string) {
  const res = await connect(edge, person, lastEventId);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
  return new SseReader(res);
}

const viewOf = (frame: SseFrame) => JSON.parse(frame.data!) as ActionView;

/** Reads event frames until one of `ref` with a final status (or the stream ends). */
async function untilEnded(reader: SseReader, ref: string, timeoutMs = 15_000): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = await reader.next(Math.max(1, deadline - Date.now()));
    if (!frame) return frames;
    if (!frame.event) continue;
    frames.push(frame);
    const view = viewOf(frame);
    if (view.referenceId === ref && isFinal(view.status)) return frames;
  }
}

async function startUpload(edge: EdgeWorker, person: Person, csv: string, name = "people.csv") {
  const res = await uploadCsv(edge, person, csv, name);
  expect(res.status).toBe(202);
  return ((await res.json()) as ActionView).referenceId;
}

describe("one Durable Object per portal holds its streams", () => {
  let edge: EdgeWorker;
  beforeAll(async () => {
    // The heartbeat ticks every STREAM_MAX_DURATION / 4 (at most 10 s), so 8 s streams tick every 2 s.
    edge = await worker({ STREAM_MAX_DURATION: "8s", MAX_STREAMS_PER_PERSON: "3" });
  }, 30_000);

  test("idle streams cost no statement at all; a change reaches exactly its owner's streams", async () => {
    const people = [ADA, ADA, BOB, EVE];
    const readers = await Promise.all(people.map((person) => open(edge, person)));
    for (const reader of readers) expect((await reader.next())?.raw).toMatch(HELLO_FRESH);

    // Idle: every stream gets two heartbeat comments, and the database hears nothing meanwhile.
    const before = probeLines(edge.logs).length;
    for (const reader of readers) {
      const comments: string[] = [];
      while (comments.length < 2) {
        const frame = await reader.next(6_000);
        expect(frame?.comment).toBe("keep-alive");
        comments.push(frame!.comment!);
      }
    }
    expect(probeLines(edge.logs).slice(before)).toEqual([]);

    // Ada's upload reaches both of Ada's streams, in order, every status once.
    const ref = await startUpload(edge, ADA, "email,first_name,last_name\nann@example.com,Ann,Lee\n");
    const [mine, alsoMine] = await Promise.all([untilEnded(readers[0]!, ref), untilEnded(readers[1]!, ref)]);
    const statuses = (frames: SseFrame[]) =>
      frames.filter((f) => f.event === "action.status").map((f) => viewOf(f).status);
    expect(statuses(mine)).toEqual(["not_started", "in_progress", "completed"]);
    expect(alsoMine.map((f) => f.id)).toEqual(mine.map((f) => f.id));
    expect(mine.every((f) => viewOf(f).referenceId === ref)).toBe(true);

    // Bob (same portal, same object) and Eve (same sub, another portal) saw none of it: their own
    // actions, started after Ada's ended, are the first events on their streams.
    const bobs = await startUpload(edge, BOB, "email\nbo@example.com\n");
    const eves = await startUpload(edge, EVE, "email\neve2@example.com\n");
    const [bobFrames, eveFrames] = await Promise.all([
      untilEnded(readers[2]!, bobs),
      untilEnded(readers[3]!, eves),
    ]);
    expect(bobFrames.every((f) => viewOf(f).referenceId === bobs)).toBe(true);
    expect(eveFrames.every((f) => viewOf(f).referenceId === eves)).toBe(true);
    for (const reader of readers) await reader.cancel();
  }, 60_000);

  test("the per-person limit holds across every connection to the portal's object", async () => {
    const cal: Person = { ...BOB, sub: "u-limit", email: "cal@example.com", name: "Cal Limit" };
    const readers = await Promise.all([1, 2, 3].map(() => open(edge, cal)));
    const refused = await connect(edge, cal);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(((await refused.json()) as { type: string }).type).toBe("/problems/too-many-streams");
    // Someone else in the portal is not limited by Bob's streams.
    const ada = await open(edge, ADA);
    await ada.cancel();
    // A stream the client closes stops counting: the next one is accepted once the object has seen it go
    // (at its next write: a heartbeat, here every 2 s; Retry-After covers the default 10 s).
    await readers[0]!.cancel();
    let accepted: Response | null = null;
    for (let attempt = 0; attempt < 50 && !accepted; attempt++) {
      const res = await connect(edge, cal);
      if (res.status === 200) accepted = res;
      else await Bun.sleep(100);
    }
    expect(accepted?.status).toBe(200);
    await accepted?.body?.cancel();
    for (const reader of readers.slice(1)) await reader.cancel();
  }, 30_000);

  test("Last-Event-ID replays the person's events from the log, in order, then goes live", async () => {
    const probe = await open(edge, ADA);
    const start = (await probe.next())!.raw.match(/id: (\d+)/)![1]!;
    await probe.cancel();
    const first = await startUpload(edge, ADA, "email\nfirst@example.com\n");
    await startUpload(edge, BOB, "email\nbob3@example.com\n");
    const reader = await open(edge, ADA);
    await untilEnded(reader, first);
    await reader.cancel();

    const resumed = await open(edge, ADA, start);
    expect((await resumed.next())?.raw).toBe("retry: 2000\n: connected");
    const statusesOf = (frames: SseFrame[]) =>
      frames.filter((f) => f.event === "action.status").map((f) => viewOf(f).status);
    const replayed = await untilEnded(resumed, first);
    expect(statusesOf(replayed)).toEqual(["not_started", "in_progress", "completed"]);
    expect(replayed.every((f) => viewOf(f).referenceId === first && Number(f.id) > Number(start))).toBe(true);
    const ids = replayed.map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const second = await startUpload(edge, ADA, "email\nsecond@example.com\n");
    const live = await untilEnded(resumed, second);
    expect(statusesOf(live)).toEqual(["not_started", "in_progress", "completed"]);
    expect(live.every((f) => viewOf(f).referenceId === second && Number(f.id) > ids.at(-1)!)).toBe(true);
    await resumed.cancel();
  }, 30_000);
});

describe("a portal's object after a lost notification, and after a restart", () => {
  let edge: EdgeWorker;
  beforeAll(async () => {
    // A short catch-up period and a short lease, so the test does not wait long for either.
    edge = await worker({ STREAM_CATCH_UP: "1s", WORKER_LEASE: "3s" }, true);
  }, 30_000);

  test("a change committed with no notification reaches the stream by the object's own catch-up read", async () => {
    // Nothing else happens in Eve's portal: only the object's alarm can bring the change.
    const reader = await open(edge, EVE);
    await reader.next();
    // Written straight into D1, as if the isolate that committed it died before telling the object.
    const d1 = await edge.d1();
    await d1
      .prepare(
        `INSERT INTO actions (reference_id, portal_id, requester_id, requester_name, requester_email,
           requester_role, type, status, created_at) VALUES ('BA-QUIETQ01', ?, ?, 'Eve', ?, 'admin', 'reminder_send', 'scheduled', ?)`,
      )
      .bind(EVE.portal, EVE.sub, EVE.email, Date.now())
      .run();
    const [frame] = await reader.events(1, 10_000);
    expect(frame).toBeDefined();
    expect(viewOf(frame!)).toMatchObject({ referenceId: "BA-QUIETQ01", status: "scheduled" });
    await reader.cancel();
  }, 30_000);

  test("a stream whose object is restarted mid-way resumes with Last-Event-ID: no gap, no duplicate", async () => {
    const reader = await open(edge, ADA);
    const from = Number((await reader.next())!.raw.match(/id: (\d+)/)![1]);
    const ref = await startUpload(edge, ADA, usersCsv(20_000, "restart").csv, "restart.csv");
    const before: SseFrame[] = [];
    while (!before.some((f) => viewOf(f).status === "in_progress")) {
      const [frame] = await reader.events(1, 10_000);
      expect(frame).toBeDefined();
      before.push(frame!);
    }
    // The deployment: workerd and everything in it stop (the object, its streams, the running turn).
    await edge.restart();
    // Whatever was already on the way arrives, then the connection ends.
    const seen = [...before];
    for (;;) {
      const frame = await reader.next(5_000);
      if (!frame) break;
      if (frame.event) seen.push(frame);
    }
    expect(reader.ended).toBe(true);

    // The turn that died held the action's lease: once it runs out, the cron's safety sweep asks for a
    // turn. The stream reconnects only once the log has moved on without it (the replay has work to do).
    const d1 = await edge.d1();
    const lastSeen = Number(seen.at(-1)!.id);
    const newest = async () =>
      (await d1
        .prepare("SELECT max(id) AS id FROM action_events WHERE portal_id = ? AND requester_id = ?")
        .bind(ADA.portal, ADA.sub)
        .first<{ id: number }>())!.id;
    while ((await newest()) <= lastSeen) {
      await edge.scheduled();
      await Bun.sleep(250);
    }
    const resumed = await open(edge, ADA, String(lastSeen));
    let after: SseFrame[] = [];
    const ending = untilEnded(resumed, ref, 30_000).then((frames) => {
      after = frames;
    });
    let done = false;
    ending.finally(() => {
      done = true;
    });
    while (!done) {
      await edge.scheduled();
      await Promise.race([ending, Bun.sleep(500)]);
    }
    await resumed.cancel();

    const received = [...seen, ...after].map((f) => Number(f.id));
    const { results } = await d1
      .prepare(
        "SELECT id FROM action_events WHERE portal_id = ? AND requester_id = ? AND id > ? AND id <= ? ORDER BY id",
      )
      .bind(ADA.portal, ADA.sub, from, received.at(-1)!)
      .all<{ id: number }>();
    expect(received).toEqual(results.map((row: { id: number }) => row.id));
    // Every version of the action, once each, in order (each version has one event).
    const versions = [...seen, ...after]
      .filter((f) => viewOf(f).referenceId === ref)
      .map((f) => viewOf(f).version);
    expect(versions).toEqual(versions.map((_, i) => 1 + i));
    expect(viewOf(after.at(-1)!).progress).toMatchObject({ total: 20_000, processed: 20_000 });
  }, 90_000);
});
