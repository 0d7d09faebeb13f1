/** The per-request log line is built without JSON.stringify; it must still be the same JSON. */
import { expect, test } from "bun:test";
import type { Services } from "../src/http/env";
import { recordRequest } from "../src/http/middleware";
import { BufferedLog, jsonString } from "../src/lib/buffered-log";
import { Metrics } from "../src/metrics/metrics";

test("a request line written through BufferedLog parses to the same fields as the plain object", () => {
  let text = "";
  const buffered = new BufferedLog((t) => {
    text += t;
  });
  const objects: Record<string, unknown>[] = [];
  for (const [log, id, method, route] of [
    [buffered.log, "abc-1", "GET", "/v1/actions/:referenceId"],
    [buffered.log, 'odd"id\\', 'GE"T', "/weird/\\d"],
    [(line: Record<string, unknown>) => objects.push({ ...line }), "abc-2", "POST", "/v1/actions"],
  ] as const) {
    recordRequest({ metrics: new Metrics(), log } as unknown as Services, id, method, route, 202, 0);
  }
  buffered.flush();
  const parsed = text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(parsed[0]).toMatchObject({
    level: "info",
    msg: "request",
    requestId: "abc-1",
    route: "/v1/actions/:referenceId",
    status: 202,
  });
  expect(parsed[1]).toMatchObject({ requestId: 'odd"id\\', method: 'GE"T', route: "/weird/\\d" });
  expect(typeof parsed[0].time).toBe("string");
  expect(typeof parsed[0].ms).toBe("number");
  expect(objects[0]).toMatchObject({ msg: "request", requestId: "abc-2", method: "POST", status: 202 });
  expect(jsonString("a\nb")).toBe('"a\\nb"');
});
