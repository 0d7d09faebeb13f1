/**
 * The edge's polling stream on a real (libSQL) database, with short timings: replay, live events
 * written "by another isolate" (straight into the database), keep-alive comments, the self-imposed end,
 * the read budget, and the client going away.
 */
import { describe, expect, test } from "bun:test";
import { insertAction } from "../src/actions/repository";
import type { Database } from "../src/db/client";
import { pollingStreamResponse } from "../src/edge/poll-stream";
import { useMigratedDatabase } from "./support/database";
import { ADA, BOB } from "./support/env";
import { SseReader } from "./support/sse";

let database: Database;
const owner = { portal: ADA.portal, sub: ADA.sub };

useMigratedDatabase("tracker-edge-stream-", (d) => {
  database = d;
});

const newAction = async (person = ADA) =>
  (await insertAction(database.db, Date.now(), person, { type: "reminder_send", params: {} })).action;

const open = (
  lastEventId: number | null,
  overrides: Partial<Parameters<typeof pollingStreamResponse>[0]> = {},
) =>
  pollingStreamResponse({
    db: database.db,
    owner,
    lastEventId,
    pollMs: 20,
    maxDurationMs: 2_000,
    heartbeatMs: 300,
    ...overrides,
  });

describe("pollingStreamResponse", () => {
  test("SSE headers, the retry hint, then a replay of the owner's events only, in order", async () => {
    const a1 = await newAction();
    await newAction(BOB);
    const a2 = await newAction();
    const res = open(0);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const reader = new SseReader(res);
    expect((await reader.next())?.raw).toBe("retry: 2000\n: connected");
    const frames = await reader.events(2);
    expect(frames.map((f) => JSON.parse(f.data!).referenceId)).toEqual([a1.referenceId, a2.referenceId]);
    expect(frames.every((f) => f.event === "action.status")).toBe(true);
    expect(Number(frames[0]!.id)).toBeLessThan(Number(frames[1]!.id));
    await reader.cancel();
  });

  test("a fresh stream starts after the newest event and then sees new ones within a poll", async () => {
    await newAction();
    const reader = new SseReader(open(null));
    await reader.next();
    const later = await newAction();
    const [frame] = await reader.events(1, 1_000);
    expect(JSON.parse(frame!.data!).referenceId).toBe(later.referenceId);
    expect(await reader.events(1, 200)).toEqual([]);
    await reader.cancel();
  });

  test("keep-alive comments while quiet, and the end after maxDurationMs", async () => {
    const reader = new SseReader(open(null, { maxDurationMs: 1_000 }));
    await reader.next();
    const started = Date.now();
    const comments: string[] = [];
    for (;;) {
      const frame = await reader.next(3_000);
      if (!frame) break;
      if (frame.comment) comments.push(frame.comment);
    }
    const lasted = Date.now() - started;
    expect(reader.ended).toBe(true);
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(comments)).toEqual(new Set(["keep-alive"]));
    expect(lasted).toBeGreaterThanOrEqual(900);
  });

  test("the stream ends once it has read the log maxReads times", async () => {
    // Nothing else would end it: no duration limit in sight, no heartbeat due.
    const reader = new SseReader(open(null, { maxReads: 5, heartbeatMs: 60_000, maxDurationMs: 600_000 }));
    await reader.next();
    // 1 read for the newest id, then 4 polls of 20 ms, then the end.
    expect(await reader.next(30_000)).toBeNull();
    expect(reader.ended).toBe(true);
  });

  test("a client that goes away stops the polling", async () => {
    let reads = 0;
    const counting = new Proxy(database.db, {
      get(target, name, receiver) {
        if (name === "select") reads++;
        return Reflect.get(target, name, receiver);
      },
    });
    const reader = new SseReader(open(null, { db: counting }));
    await reader.next();
    await reader.events(1, 200);
    await reader.cancel();
    const after = reads;
    await Bun.sleep(200);
    expect(reads - after).toBeLessThanOrEqual(1);
  });
});
