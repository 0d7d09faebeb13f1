/**
 * A second typed client, generated from the document by well-kept tools: `openapi-typescript` makes the
 * `paths` type (clients/typescript/schema.d.ts, committed so that `tsc` checks this walkthrough against
 * it) and `openapi-fetch` the client. The first test fails while the committed types differ from what
 * the served document gives; the second runs the README's walkthrough with the client, on a real server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import { clientTypes, SCHEMA_FILE } from "../clients/typescript/generate";
import type { paths } from "../clients/typescript/schema";
import { ADA, tokenFor } from "./support/env";
import { startTestServer, type TestServer } from "./support/server";
import { SseReader } from "./support/sse";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test("the committed client types are what the served document gives (npm run client:types)", async () => {
  const served = await (await fetch(`${server.url}/openapi.json`)).json();
  expect(await clientTypes({ ...served, servers: [{ url: "http://localhost:8787" }] })).toBe(
    readFileSync(SCHEMA_FILE, "utf8"),
  );
});

test("the README walkthrough, with the generated client", async () => {
  // 1. A token (the README's `npm run token`), and a client that sends lists as the API takes them.
  const client = createClient<paths>({
    baseUrl: server.url,
    headers: { authorization: `Bearer ${tokenFor(ADA)}` },
    querySerializer: { array: { style: "form", explode: false } },
  });

  // 4 (opened first, so nothing is missed). Watch every action of one's own, live.
  const live = await client.GET("/v1/events", { parseAs: "stream" });
  expect(live.response.headers.get("content-type")).toStartWith("text/event-stream");
  const stream = new SseReader(live.response);

  // 2. Start a user upload (multipart: type + file).
  const csv =
    "email,first_name,last_name,role,groups\nada@example.com,Ada,Lovelace,admin,Engineering\nnot-an-email,Bo,,learner,\n";
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File([csv], "users.csv", { type: "text/csv" }));
  const started = await client.POST("/v1/actions", {
    body: { type: "user_upload", file: csv },
    bodySerializer: () => form,
  });
  expect(started.response.status).toBe(202);
  const action = started.data!;
  expect(action.status).toBe("not_started");
  expect(started.response.headers.get("location")).toBe(`/v1/actions/${action.referenceId}`);

  // The stream tells when it ends (bounded: each frame is waited for, never a fixed sleep).
  let lastId = "";
  for (let frames = 0; frames < 20; frames++) {
    const [frame] = await stream.events(1, 10_000);
    expect(frame).toBeDefined();
    lastId = frame!.id!;
    const seen = JSON.parse(frame!.data!) as typeof action;
    if (seen.referenceId === action.referenceId && seen.status === "completed_with_errors") break;
  }
  await stream.cancel();

  // 3. Poll it, sending the ETag back: 304 while nothing changed.
  const path = { referenceId: action.referenceId };
  const polled = await client.GET("/v1/actions/{referenceId}", { params: { path } });
  expect(polled.data?.status).toBe("completed_with_errors");
  expect(polled.data?.progress).toEqual({ total: 2, processed: 2, succeeded: 1, errors: 1, warnings: 0 });
  const etag = polled.response.headers.get("etag")!;
  const again = await client.GET("/v1/actions/{referenceId}", {
    params: { path, header: { "If-None-Match": etag } },
  });
  expect(again.response.status).toBe(304);

  // 4, resumed: Last-Event-ID replays what came after it (here: nothing yet, so the hello only).
  const resumed = await client.GET("/v1/events", {
    params: { header: { "Last-Event-ID": lastId } },
    parseAs: "stream",
  });
  expect(resumed.response.status).toBe(200);
  await resumed.response.body!.cancel();

  // 5. The error report, as CSV.
  const report = await client.GET("/v1/actions/{referenceId}/error-report", {
    params: { path },
    parseAs: "text",
  });
  expect(report.response.headers.get("content-disposition")).toContain('filename="users-errors.csv"');
  expect(report.data).toContain("Row,Status,Identifier,Issue,Resolution");
  expect(report.data).toContain("not-an-email");

  // JSON actions take params; a problem comes back typed, naming the field.
  const unknownCourse = await client.POST("/v1/actions", {
    body: { type: "group_enroll", params: { group: "Engineering", courses: ["SAFETY-101"] } },
  });
  expect(unknownCourse.response.status).toBe(422);
  expect(unknownCourse.error?.errors?.map((e) => e.path)).toEqual(["params.courses.0"]);

  // Any action can be scheduled, made idempotent, or kept quiet.
  const rule = {
    type: "dynamic_rule_start" as const,
    params: {
      group: "Engineers",
      rule: { attribute: "department" as const, operator: "equals" as const, value: "Engineering" },
    },
    scheduledFor: "2030-01-01T09:00:00Z",
    notify: false,
  };
  const key = { "Idempotency-Key": "rule-42" };
  const scheduled = await client.POST("/v1/actions", { params: { header: key }, body: rule });
  const repeated = await client.POST("/v1/actions", { params: { header: key }, body: rule });
  expect(scheduled.data?.status).toBe("scheduled");
  expect(repeated.data?.referenceId).toBe(scheduled.data!.referenceId);
  expect(repeated.response.headers.get("idempotent-replayed")).toBe("true");

  // Other endpoints: the list with filters (comma-separated), and cancelling.
  const list = await client.GET("/v1/actions", {
    params: {
      query: {
        status: ["scheduled", "completed_with_errors"],
        type: ["user_upload", "dynamic_rule_start"],
        limit: 50,
      },
    },
  });
  expect(new URL(list.response.url).searchParams.get("status")).toBe("scheduled,completed_with_errors");
  expect(list.data?.items.map((item) => item.referenceId).sort()).toEqual(
    [action.referenceId, scheduled.data!.referenceId].sort(),
  );
  const cancelled = await client.POST("/v1/actions/{referenceId}/cancel", {
    params: { path: { referenceId: scheduled.data!.referenceId } },
  });
  expect(cancelled.data?.status).toBe("cancelled");
});
