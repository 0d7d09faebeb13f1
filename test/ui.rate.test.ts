/**
 * The rate and time left that the detail view shows while an action runs (src/ui/client/rate.ts), fed
 * frames with chosen arrival times: "not yet" until the frames span enough time, then a smoothed rate
 * that a single slow or fast frame moves only partly, and a fresh start when the count goes back.
 */
import { describe, expect, test } from "bun:test";
import { MIN_SPAN_MS, RateBook, RateMeter } from "../src/ui/client/rate";

describe("RateMeter", () => {
  test("says nothing until the frames span MIN_SPAN_MS, then the average over that span", () => {
    const meter = new RateMeter();
    meter.add(0, 0);
    expect(meter.estimate(10_000)).toEqual({ rate: null, secondsLeft: null });
    meter.add(1_000, 1_000);
    expect(meter.estimate(10_000).rate).toBeNull();
    meter.add(MIN_SPAN_MS + 500, 2_000);
    const { rate, secondsLeft } = meter.estimate(10_000);
    expect(rate).toBe(1_000);
    expect(secondsLeft).toBe(8);
  });

  test("a frame that repeats the count (a status frame) or arrives out of order is not a sample", () => {
    const meter = new RateMeter();
    meter.add(0, 0);
    meter.add(2_000, 2_000);
    meter.add(2_500, 2_000);
    meter.add(1_000, 2_000);
    expect(meter.estimate(4_000)).toEqual({ rate: 1_000, secondsLeft: 2 });
  });

  test("one slow frame moves the smoothed rate only part of the way", () => {
    const meter = new RateMeter();
    meter.add(0, 0);
    meter.add(2_000, 20_000); // 10,000 rows a second
    meter.add(3_000, 21_000); // one slow second: 1,000
    const rate = meter.estimate(100_000).rate!;
    expect(rate).toBeLessThan(10_000);
    expect(rate).toBeGreaterThan(7_500);
    // A steady rate afterwards pulls the estimate to it.
    for (let s = 4; s < 60; s++) meter.add(s * 1_000, 21_000 + (s - 3) * 1_000);
    expect(Math.round(meter.estimate(100_000).rate!)).toBe(1_000);
  });

  test("a count that goes back (resumed from a checkpoint) starts over", () => {
    const meter = new RateMeter();
    meter.add(0, 0);
    meter.add(2_000, 4_000);
    expect(meter.estimate(10_000).rate).toBe(2_000);
    meter.add(3_000, 3_000);
    expect(meter.estimate(10_000).rate).toBeNull();
  });

  test("the time left is never negative", () => {
    const meter = new RateMeter();
    meter.add(0, 0);
    meter.add(2_000, 500);
    expect(meter.estimate(400).secondsLeft).toBe(0);
  });
});

describe("RateBook", () => {
  test("keeps a meter per running action and drops it once the action stops", () => {
    const book = new RateBook();
    book.observe("BA-1", true, 0, 0);
    book.observe("BA-1", true, 3_000, 2_000);
    book.observe("BA-2", true, 0, 0);
    expect(book.estimate("BA-1", 6_000).rate).toBe(1_500);
    expect(book.estimate("BA-2", 6_000).rate).toBeNull();
    book.observe("BA-1", false, 6_000, 4_000);
    expect(book.estimate("BA-1", 6_000).rate).toBeNull();
  });
});
