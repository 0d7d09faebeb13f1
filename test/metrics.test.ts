/** `/metrics` in Prometheus text format, and one JSON log line per request and per action transition. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { promoteDueActions } from "../src/engine/clocks";
import { ManualClock } from "../src/lib/clock";
import { startProcess, type TrackerProcess } from "../src/process";
import { checkedRequest } from "./support/contract";
import { ADA, bearer, tempDir, testConfig } from "./support/env";
import { uploadCsv } from "./support/tracker";

const dir = tempDir();
const lines: Record<string, unknown>[] = [];
let tracker: TrackerProcess;
beforeAll(async () => {
  tracker = await startProcess(testConfig(dir.path, { ROLE: "api" }), {
    clock: new ManualClock(Date.now()),
    log: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await tracker.stop();
  dir.cleanup();
});

const request = checkedRequest((path, init) => tracker.app.request(path, init));

test("a request and a transition each leave one structured line, with the request id", async () => {
  const res = await uploadCsv({ request }, ADA, "email\nbad\nok@x.com\n", "m.csv");
  const id = res.headers.get("x-request-id");
  const ref = (await res.json()).referenceId;
  await promoteDueActions(tracker.services.db, Date.now());
  await tracker.runner.runUntilIdle();
  const requestLine = lines.find((l) => l.msg === "request" && l.requestId === id);
  expect(requestLine).toMatchObject({ method: "POST", route: "/v1/actions", status: 202 });
  const transitions = lines
    .filter((l) => l.msg === "action transition" && l.referenceId === ref)
    .map((l) => l.status);
  expect(transitions).toEqual(["not_started", "in_progress", "completed_with_errors"]);
  const problem = await request("/v1/actions/BA-ZZZZZZZZ", { headers: bearer(ADA) });
  expect((await problem.json()).requestId).toBe(problem.headers.get("x-request-id"));
});

test("/metrics shows actions, queue, outbox, streams, tail lag, slices and HTTP latency", async () => {
  const stream = await request("/v1/events", { headers: bearer(ADA) });
  const res = await request("/metrics");
  expect(res.headers.get("content-type")).toContain("text/plain");
  const text = await res.text();
  for (const name of [
    'tracker_actions{status="completed_with_errors",type="user_upload"} 1',
    "tracker_queue_depth 0",
    "tracker_outbox_pending 1",
    "tracker_open_streams 1",
    "tracker_event_tail_lag_events",
    'tracker_engine_slice_duration_seconds_count{type="user_upload"}',
    'tracker_http_request_duration_seconds_bucket{route="/v1/actions",le="+Inf"}',
    'tracker_http_requests_total{method="POST",route="/v1/actions",status="202"} 1',
    'tracker_action_transitions_total{status="in_progress",type="user_upload"} 1',
  ]) {
    expect(text).toContain(name);
  }
  await stream.body!.cancel();
});
