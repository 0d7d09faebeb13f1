import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { insertAction } from "../src/actions/repository";
import { createDatabase } from "../src/db/client";
import { ADA, BOB, bearer } from "./support/env";
import { SseReader } from "./support/sse";
import { postJson, startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(() => t.stop());

const open = async (person = ADA, headers: Record<string, string> = {}, query = "") => {
  const res = await t.request(`/v1/events${query}`, { headers: { ...bearer(person), ...headers } });
  return { res, reader: new SseReader(res) };
};
const rule = {
  type: "dynamic_rule_start",
  params: { group: "G", rule: { attribute: "role", operator: "equals", value: "admin" } },
};

describe("GET /v1/events", () => {
  test("headers, retry hint, then exact frames of the caller's new actions", async () => {
    const { res, reader } = await open();
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    expect(res.headers.get("content-encoding")).toBeNull();
    const hello = await reader.next();
    expect(hello?.raw).toMatch(/^retry: 2000\nid: \d+\n: connected$/);
    expect(hello?.event).toBeUndefined();
    const created = await (await postJson(t, ADA, rule)).json();
    const [frame] = await reader.events(1);
    expect(frame?.event).toBe("action.status");
    expect(Number(frame?.id)).toBeGreaterThan(0);
    expect(JSON.parse(frame!.data!)).toEqual(created);
    expect(frame?.raw).toBe(`id: ${frame?.id}\nevent: action.status\ndata: ${JSON.stringify(created)}`);
    await reader.cancel();
  });

  test("status and progress events of an upload arrive in order with growing ids", async () => {
    const { reader } = await open();
    await reader.next();
    const csv = `email,first_name,last_name\n${Array.from({ length: 1200 }, (_, i) => `p${i}@x.com,P,${i}`).join("\n")}\n`;
    const ref = (await (await uploadCsv(t, ADA, csv, "people.csv")).json()).referenceId;
    await t.drain();
    const frames = await reader.events(50, 1_500);
    const mine = frames.filter((f) => JSON.parse(f.data!).referenceId === ref);
    const statuses = mine.map((f) => `${f.event}:${JSON.parse(f.data!).status}`);
    expect(statuses).toEqual([
      "action.status:not_started",
      "action.progress:not_started",
      "action.status:in_progress",
      "action.status:completed",
    ]);
    const ids = mine.map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(JSON.parse(mine[3]!.data!).progress).toEqual({
      total: 1200,
      processed: 1200,
      succeeded: 1200,
      errors: 0,
      warnings: 0,
    });
    await reader.cancel();
  });

  test("Last-Event-ID replays exactly what was missed, in order, none twice, then goes live", async () => {
    const { reader } = await open();
    await reader.next();
    const refs: string[] = [];
    for (let i = 0; i < 3; i++) refs.push((await (await postJson(t, ADA, rule)).json()).referenceId);
    const seen = await reader.events(3);
    await reader.cancel();
    const firstId = seen[0]!.id!;
    // Missed while disconnected:
    const missed = (await (await postJson(t, ADA, rule)).json()).referenceId;
    const expected = [refs[1], refs[2], missed];
    for (const [how, headers, query] of [
      ["header", { "last-event-id": firstId }, ""],
      ["query", {}, `?lastEventId=${firstId}`],
    ] as const) {
      const resumed = await open(ADA, headers, query);
      await resumed.reader.next();
      const replay = await resumed.reader.events(expected.length);
      expect(
        replay.map((f) => JSON.parse(f.data!).referenceId),
        how,
      ).toEqual(expected);
      const live = (await (await postJson(t, ADA, rule)).json()).referenceId;
      const [next] = await resumed.reader.events(1);
      expect(JSON.parse(next!.data!).referenceId).toBe(live);
      expect(Number(next!.id)).toBeGreaterThan(Number(replay.at(-1)!.id));
      expect(await resumed.reader.events(1, 300)).toEqual([]);
      expected.push(live);
      await resumed.reader.cancel();
    }
  });

  test("a keep-alive comment reaches every open stream", async () => {
    const { reader } = await open();
    await reader.next();
    t.tracker.services.hub.pingAll();
    expect((await reader.next())?.comment).toBe("keep-alive");
    await reader.cancel();
  });

  test("closing a stream frees its subscription at once", async () => {
    const hub = t.tracker.services.hub;
    const before = hub.subscriberCount;
    const { reader } = await open();
    await reader.next();
    expect(hub.subscriberCount).toBe(before + 1);
    await reader.cancel();
    await Bun.sleep(10);
    expect(hub.subscriberCount).toBe(before);
  });

  test("another person's events never reach the stream", async () => {
    const { reader } = await open(BOB);
    await reader.next();
    await postJson(t, ADA, rule);
    const bobs = (await (await postJson(t, BOB, rule)).json()).referenceId;
    const frames = await reader.events(1);
    expect(frames.map((f) => JSON.parse(f.data!).referenceId)).toEqual([bobs]);
    await reader.cancel();
  });

  test("an event written by another client on the same database file reaches the stream", async () => {
    const { reader } = await open();
    await reader.next();
    const other = createDatabase({ url: t.config.databaseUrl });
    const { action } = await insertAction(other.db, Date.now(), ADA, {
      type: "dynamic_rule_start",
      params: {},
    });
    // How soon is the bench's business (cross-process row); here, that it arrives at all.
    const [frame] = await reader.events(1, 20_000);
    expect(JSON.parse(frame!.data!).referenceId).toBe(action.referenceId);
    other.close();
    await reader.cancel();
  });
});
