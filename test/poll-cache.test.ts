/**
 * Polls are answered from the per-process cache the event tail keeps current. A poll never shows a
 * version older than one already streamed to the same person, and a client that has seen a newer version
 * (its ETag says so) is answered from the database.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { actions } from "../src/db/schema";
import { ADA, BOB, bearer } from "./support/env";
import { SseReader } from "./support/sse";
import { startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(() => t.stop());

test("every streamed version is at least what a poll right after it shows", async () => {
  const reader = new SseReader(await t.request("/v1/events", { headers: bearer(ADA) }));
  await reader.next();
  const rows = Array.from({ length: 3_000 }, (_, i) => `c${i}@x.com,C,${i}`).join("\n");
  const ref = (await (await uploadCsv(t, ADA, `email,first_name,last_name\n${rows}\n`)).json()).referenceId;
  const draining = t.drain();
  let checked = 0;
  for (;;) {
    const frame = await reader.next(1_000);
    if (!frame) break;
    if (!frame.event) continue;
    const streamed = JSON.parse(frame.data!);
    if (streamed.referenceId !== ref) continue;
    const polled = await (await t.request(`/v1/actions/${ref}`, { headers: bearer(ADA) })).json();
    expect(polled.version).toBeGreaterThanOrEqual(streamed.version);
    checked++;
    if (streamed.completedAt) break;
  }
  await draining;
  await reader.cancel();
  expect(checked).toBeGreaterThanOrEqual(3);
});

test("an ETag newer than the cache sends the poll to the database", async () => {
  const ref = (await (await uploadCsv(t, ADA, "email\none@x.com\n")).json()).referenceId;
  const first = await t.request(`/v1/actions/${ref}`, { headers: bearer(ADA) });
  const version = (await first.json()).version;
  // Another process changed the action; this process's tail has not seen it yet.
  await t.db
    .update(actions)
    .set({ version: sql`${actions.version} + 1` })
    .where(eq(actions.referenceId, ref));
  const newer = `"${ref}.${version + 1}"`;
  const res = await t.request(`/v1/actions/${ref}`, { headers: { ...bearer(ADA), "if-none-match": newer } });
  expect(res.status).toBe(304);
  expect(res.headers.get("etag")).toBe(newer);
});

test("the cache never answers for someone else", async () => {
  const ref = (await (await uploadCsv(t, ADA, "email\ntwo@x.com\n")).json()).referenceId;
  expect((await t.request(`/v1/actions/${ref}`, { headers: bearer(ADA) })).status).toBe(200);
  expect((await t.request(`/v1/actions/${ref}`, { headers: bearer(BOB) })).status).toBe(404);
});
