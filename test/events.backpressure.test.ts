/**
 * A stream whose client stops reading, on a real Bun.serve: it is closed after a bounded backlog (it does
 * not buffer every later event), what it was sent arrives in order without a gap, and its place is freed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { readEventsAfter } from "../src/events/log";
import { ADA, bearer } from "./support/env";
import { waitFor } from "./support/processes";
import { startTestServer, type TestServer } from "./support/server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test("a client that stops reading is closed after a bounded backlog, without a gap in what it got", async () => {
  const { hub, db } = server.tracker.services;
  const owner = { portal: ADA.portal, sub: ADA.sub };
  const created = await fetch(`${server.url}/v1/actions`, {
    method: "POST",
    body: JSON.stringify({
      type: "dynamic_rule_start",
      params: { group: "G", rule: { attribute: "role", operator: "equals", value: "admin" } },
    }),
    headers: { ...bearer(ADA), "content-type": "application/json" },
  });
  expect(created.status).toBe(202);
  await waitFor("the tail to publish the action's event", async () => hub.lastPublishedId > 0, 5_000);
  const [event] = await readEventsAfter(db, 0, 1);

  let received = "";
  const { port } = new URL(server.url);
  const socket: Socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: Number(port),
    socket: {
      open(s) {
        s.write(`GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(ADA).authorization}\r\n\r\n`);
      },
      data(_s, chunk) {
        received += chunk.toString("latin1");
      },
    },
  });
  await waitFor("the hello", async () => received.includes(": connected\n\n"), 5_000);
  expect(hub.countOf(owner)).toBe(1);

  socket.pause();
  const first = hub.lastPublishedId + 1;
  let id = first;
  // Far more than the socket buffers and the backlog bound together.
  while (hub.countOf(owner) > 0 && id < first + 200_000) hub.publish([{ ...event!, id: id++ }]);
  expect(hub.countOf(owner)).toBe(0);
  const published = id - first;

  socket.resume();
  await waitFor("the end of the response", async () => received.endsWith("\r\n0\r\n\r\n"), 20_000);
  socket.end();
  const ids = [...received.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])).filter((n) => n >= first);
  expect(ids.length).toBeGreaterThan(0);
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => first + i));
  // Closed once the backlog passed its bound: the events after that were never written.
  expect(ids.length).toBeLessThan(published);
}, 60_000);
