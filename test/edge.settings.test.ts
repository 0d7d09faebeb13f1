/** The edge's small pure pieces: when a clock pattern is due at a cron tick, and the edge settings. */
import { describe, expect, test } from "bun:test";
import { cronDue } from "../src/edge/jobs";
import { edgeSettings, textBindings } from "../src/edge/settings";

const at = (iso: string) => Date.parse(iso);

describe("cronDue (Cron Triggers fire once a minute)", () => {
  test("a pattern is due when an occurrence fell within the minute up to the tick", () => {
    expect(cronDue("*/10 * * * *", at("2026-01-05T09:10:00Z"))).toBe(true);
    expect(cronDue("*/10 * * * *", at("2026-01-05T09:11:00Z"))).toBe(false);
    expect(cronDue("*/10 * * * *", at("2026-01-05T09:19:00Z"))).toBe(false);
    expect(cronDue("0 3 * * *", at("2026-01-05T03:00:00Z"))).toBe(true);
    expect(cronDue("0 3 * * *", at("2026-01-05T04:00:00Z"))).toBe(false);
  });

  test("six-field patterns (seconds) are due at every tick; times are UTC", () => {
    expect(cronDue("* * * * * *", at("2026-01-05T09:10:27Z"))).toBe(true);
    expect(cronDue("30 */5 * * * *", at("2026-01-05T09:11:00Z"))).toBe(true);
    expect(cronDue("30 */5 * * * *", at("2026-01-05T09:12:00Z"))).toBe(false);
  });
});

describe("edgeSettings", () => {
  test("defaults suit a paid plan; a kick never outlives waitUntil", () => {
    expect(edgeSettings({})).toEqual({
      engineBudgetMs: 25_000,
      kickBudgetMs: 25_000,
      queryBudget: 800,
      streamMaxDurationMs: 300_000,
      streamPollMs: 1_000,
      streamCatchUpMs: 30_000,
    });
    const free = edgeSettings({
      ENGINE_BUDGET: "50s",
      ENGINE_QUERY_BUDGET: "40",
      STREAM_MAX_DURATION: "40s",
    });
    expect(free).toMatchObject({ engineBudgetMs: 50_000, kickBudgetMs: 25_000, queryBudget: 40 });
  });

  test("streams held by stream objects last longer; they read the log often only when nothing notifies them", () => {
    const objects = { STREAMS: {} as never };
    expect(edgeSettings(objects)).toMatchObject({ streamMaxDurationMs: 1_800_000, streamCatchUpMs: 30_000 });
    // ROLE=api: the engine runs in Bun workers on a shared database, and tells no stream object.
    expect(edgeSettings({ ...objects, ROLE: "api" })).toMatchObject({ streamCatchUpMs: 1_000 });
    expect(edgeSettings({ ...objects, STREAM_CATCH_UP: "10s" })).toMatchObject({ streamCatchUpMs: 10_000 });
  });

  test("bad values are refused by name", () => {
    expect(() => edgeSettings({ ENGINE_BUDGET: "soon" })).toThrow(/ENGINE_BUDGET/);
    expect(() => edgeSettings({ ENGINE_QUERY_BUDGET: "5" })).toThrow(/ENGINE_QUERY_BUDGET/);
    expect(() => edgeSettings({ STREAM_CATCH_UP: "often" })).toThrow(/STREAM_CATCH_UP/);
  });

  test("only textual bindings reach the configuration", () => {
    expect(textBindings({ DB: {} as never, PUBLIC_URL: "https://x.example", N: 3 })).toEqual({
      PUBLIC_URL: "https://x.example",
    });
  });
});
