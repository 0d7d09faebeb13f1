/**
 * End to end on a real server: a real EventSource client follows an upload's status changes, the server
 * drops every stream, and the client resumes with Last-Event-ID without losing or repeating an event.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { EventSource } from "eventsource";
import { actionEvents } from "../src/db/schema";
import { ADA, bearer } from "./support/env";
import { waitFor } from "./support/processes";
import { startTestServer, type TestServer } from "./support/server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

interface Received {
  id: string;
  type: string;
  referenceId: string;
  status: string;
}

async function upload(csv: string, name: string): Promise<string> {
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File([csv], name));
  const res = await fetch(`${server.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
  expect(res.status).toBe(202);
  return (await res.json()).referenceId;
}

test("a real EventSource follows an action, survives a dropped stream, and resumes without gaps or duplicates", async () => {
  const received: Received[] = [];
  let opened = 0;
  const source = new EventSource(`${server.url}/v1/events`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...bearer(ADA) } }),
  });
  source.addEventListener("open", () => opened++);
  for (const type of ["action.status", "action.progress"]) {
    source.addEventListener(type, (event) => {
      const data = JSON.parse(event.data);
      received.push({ id: event.lastEventId, type, referenceId: data.referenceId, status: data.status });
    });
  }
  await waitFor("the stream to open", async () => opened === 1, 5_000);

  const rows = Array.from({ length: 1_500 }, (_, i) =>
    i % 100 === 99 ? `bad-${i},B,C` : `u${i}@x.com,U,${i}`,
  );
  const first = await upload(`email,first_name,last_name\n${rows.join("\n")}\n`, "first.csv");
  await waitFor(
    "the first action to end",
    async () => received.some((r) => r.referenceId === first && r.status === "completed_with_errors"),
    15_000,
  );
  const statuses = received
    .filter((r) => r.referenceId === first && r.type === "action.status")
    .map((r) => r.status);
  expect(statuses).toEqual(["not_started", "in_progress", "completed_with_errors"]);

  // The server drops every stream; while the client waits to reconnect, another action runs.
  server.tracker.services.hub.closeAll();
  const second = await upload("email,first_name,last_name\nmissed@x.com,M,Issed\n", "second.csv");
  await waitFor("the reconnection", async () => opened === 2, 10_000);
  await waitFor(
    "the missed action's end",
    async () => received.some((r) => r.referenceId === second && r.status === "completed"),
    10_000,
  );
  source.close();

  // Everything the log holds for Ada since the stream opened, exactly once and in order.
  const ids = received.map((r) => Number(r.id));
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  const logged = await server.tracker.services.db
    .select({ id: actionEvents.id })
    .from(actionEvents)
    .where(and(eq(actionEvents.portalId, ADA.portal), eq(actionEvents.requesterId, ADA.sub)));
  const expected = logged.map((e) => e.id).filter((id) => id >= ids[0]!);
  expect(ids).toEqual(expected);
  expect(received.filter((r) => r.referenceId === second).map((r) => r.status)).toContain("not_started");
}, 40_000);
