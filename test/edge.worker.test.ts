/**
 * The edge deployment, end to end and offline: the bundle `wrangler deploy --dry-run` builds, run by
 * Miniflare in workerd with the bindings wrangler.toml declares (D1 migrated from migrations/, the
 * portals' stream objects, the engine queue, R2), driven over real HTTP, with the Cron Trigger fired
 * through `scheduled()`, and completion emails sent by the real `resend` SDK from inside workerd to a
 * local recorder. (test/edge.fallback.test.ts runs it without the optional bindings.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isFinal } from "../src/actions/model";
import type { ActionView } from "../src/actions/view";
import type { R2Bucket } from "../src/edge/types";
import { uploadZips } from "./support/content";
import { ADA, bearer, EVE, sessionCookie, TEST_SECRET } from "./support/env";
import { type Bundle, type EdgeWorker, sharedWorkerBundle, startEdgeWorker } from "./support/miniflare";
import { type ResendRecorder, startResendRecorder } from "./support/resend-recorder";
import { type SseFrame, SseReader } from "./support/sse";
import { uploadCsv } from "./support/tracker";
import { scorm12Zip } from "./support/zip-fixtures";

const PUBLIC_URL = "https://tracker.example.com";

/** Row 2 fine, row 3 a bad email (Error), row 4 no first name (Warning), row 5 a duplicate (Error). */
const CSV = [
  "email,first_name,last_name,role,groups",
  "grace@example.com,Grace,Hopper,admin,Pioneers;Navy",
  "not-an-email,Bad,Email,,",
  "linus@example.com,,Torvalds,,Kernel",
  "LINUS@example.com,Linus,Again,learner,",
].join("\n");

let bundle: Bundle;
let recorder: ResendRecorder;
let edge: EdgeWorker;

beforeAll(async () => {
  bundle = await sharedWorkerBundle();
  recorder = startResendRecorder();
  edge = await startEdgeWorker(bundle, {
    AUTH_SECRET: TEST_SECRET,
    RESEND_API_KEY: recorder.apiKey,
    RESEND_BASE_URL: recorder.url,
    PUBLIC_URL,
    REPORT_RETENTION: "3s",
    EXPIRY_CRON: "* * * * * *",
    STREAM_MAX_DURATION: "4s",
  });
}, 30_000);

afterAll(async () => {
  await edge?.stop();
  await recorder?.stop();
  bundle?.cleanup();
});

const getAction = async (ref: string, person = ADA) =>
  (await (await edge.request(`/v1/actions/${ref}`, { headers: bearer(person) })).json()) as ActionView;

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const openStream = async (headers: Record<string, string> = {}, person = ADA) => {
  const res = await edge.request("/v1/events", { headers: { ...bearer(person), ...headers } });
  expect(res.status).toBe(200);
  return new SseReader(res);
};

/** Reads like EventSource: reconnects with Last-Event-ID when a stream ends, until `done` holds. */
async function follow(lastEventId: string | null, done: (frames: SseFrame[]) => boolean, ms = 15_000) {
  const frames: SseFrame[] = [];
  let last = lastEventId;
  let connections = 0;
  const deadline = Date.now() + ms;
  while (!done(frames) && Date.now() < deadline) {
    connections++;
    const reader = await openStream(last === null ? {} : { "last-event-id": last });
    for (;;) {
      const frame = await reader.next(Math.max(1, deadline - Date.now()));
      if (!frame) break;
      if (!frame.event) continue;
      frames.push(frame);
      last = frame.id!;
      if (done(frames)) break;
    }
    await reader.cancel().catch(() => {});
  }
  return { frames, connections };
}

const framesOf = (frames: SseFrame[], ref: string) =>
  frames.filter((f) => (JSON.parse(f.data!) as ActionView).referenceId === ref);
const statusesOf = (frames: SseFrame[]) =>
  frames.map((f) => `${f.event}:${(JSON.parse(f.data!) as ActionView).status}`);
const ended = (ref: string) => (frames: SseFrame[]) =>
  framesOf(frames, ref).some((f) => isFinal((JSON.parse(f.data!) as ActionView).status));

describe("the worker in workerd (Miniflare) with D1", () => {
  test("wrangler's dry-run bundle is small enough to deploy", () => {
    expect(bundle.sizeLine).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    expect(bundle.bytes).toBeLessThan(3 * 1024 * 1024);
  });

  test("D1 ran every migration, triggers (BEGIN … END) included", async () => {
    const d1 = await edge.d1();
    const { results } = await d1
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
      .all<{ name: string }>();
    expect(results.map((r: { name: string }) => r.name)).toEqual([
      "action_events_on_insert",
      "action_events_on_update",
      "actions_final_is_final",
    ]);
    const health = await edge.request("/healthz");
    expect(health.status).toBe(200);
    expect((await edge.request("/v1/actions")).status).toBe(401);
  });

  test("a small upload ends seconds after the POST, with no cron, and its events stream live", async () => {
    const live = await openStream();
    // As in the Bun process: a fresh stream's hello carries its starting id.
    expect((await live.next())?.raw).toMatch(/^retry: 2000\nid: \d+\n: connected$/);
    const res = await uploadCsv(edge, ADA, CSV, "staff.csv");
    expect(res.status).toBe(202);
    const ref = ((await res.json()) as ActionView).referenceId;

    const frames: SseFrame[] = [];
    while (!ended(ref)(frames)) {
      const frame = await live.next(5_000);
      if (!frame) break;
      if (frame.event) frames.push(frame);
    }
    await live.cancel();
    const mine = framesOf(frames, ref);
    expect(statusesOf(mine)).toEqual([
      "action.status:not_started",
      "action.progress:not_started",
      "action.status:in_progress",
      "action.status:completed_with_errors",
    ]);
    const done = JSON.parse(mine.at(-1)!.data!) as ActionView;
    expect(done.progress).toEqual({ total: 4, processed: 4, succeeded: 2, errors: 2, warnings: 1 });

    const email = await waitFor("the completion email", async () =>
      recorder.emails.find((e) => e.subject.includes(ref)),
    );
    expect(email.to).toEqual("ada@example.com");
    expect(email.idempotencyKey).toBe(`completion/${ref}`);
    expect(email.text).toContain(`${PUBLIC_URL}/?ref=${ref}`);
  }, 20_000);

  test("scheduled(): a scheduled upload is run by the cron; replay, report, email, expiry", async () => {
    const scheduledFor = new Date(Date.now() + 1_500).toISOString();
    const res = await uploadCsv(edge, ADA, CSV, "spring.csv", { scheduledFor });
    const created = (await res.json()) as ActionView;
    expect(created.status).toBe("scheduled");
    const ref = created.referenceId;

    // The cron runs the clocks (promote due) and the engine; before the due time it leaves the action be.
    await edge.scheduled();
    expect((await getAction(ref)).status).toBe("scheduled");
    await Bun.sleep(Date.parse(scheduledFor) - Date.now() + 50);
    let action = await getAction(ref);
    for (let run = 0; run < 5 && !isFinal(action.status); run++) {
      await edge.scheduled();
      action = await getAction(ref);
    }
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual({ total: 4, processed: 4, succeeded: 2, errors: 2, warnings: 1 });
    expect(action.errorReport).toMatchObject({
      name: "spring-errors.csv",
      url: `/v1/actions/${ref}/error-report`,
      expired: false,
    });

    // Replay from the start: every status change of this action, in order, none twice.
    const { frames } = await follow("0", ended(ref));
    const mine = framesOf(frames, ref);
    expect(statusesOf(mine).filter((s) => s.startsWith("action.status"))).toEqual([
      "action.status:scheduled",
      "action.status:not_started",
      "action.status:in_progress",
      "action.status:completed_with_errors",
    ]);
    const ids = frames.map((f) => Number(f.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // Someone else (same sub, another portal) sees none of it.
    const eve = await openStream({ "last-event-id": "0" }, EVE);
    expect(await eve.events(1, 1_500)).toEqual([]);
    await eve.cancel();

    const report = await edge.request(`/v1/actions/${ref}/error-report`, { headers: bearer(ADA) });
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toStartWith("text/csv");
    expect(report.headers.get("content-disposition")).toContain('filename="spring-errors.csv"');
    const lines = (await report.text()).trim().split(/\r?\n/);
    expect(lines[0]).toBe("Row,Status,Identifier,Issue,Resolution");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 3).join(","))).toEqual([
      "3,Error,not-an-email",
      "4,Warning,linus@example.com",
      "5,Error,LINUS@example.com",
    ]);

    const emails = recorder.emails.filter((e) => e.subject.includes(ref));
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toContain("Completed with errors");
    expect(emails[0]!.text).toContain(`${PUBLIC_URL}/?ref=${ref}`);

    // REPORT_RETENTION is 3 s and EXPIRY_CRON every second: the next cron after that expires it.
    await Bun.sleep(Date.parse(action.errorReport!.expiresAt!) - Date.now() + 50);
    await edge.scheduled();
    const gone = await edge.request(`/v1/actions/${ref}/error-report`, { headers: bearer(ADA) });
    expect(gone.status).toBe(410);
    expect((await getAction(ref)).errorReport).toMatchObject({ expired: true });
    // Expiry is a change of the action too: a stream resuming from the last seen event gets it.
    const after = await follow(frames.at(-1)!.id!, (f) => framesOf(f, ref).length > 0, 6_000);
    const expiry = framesOf(after.frames, ref).map((f) => JSON.parse(f.data!) as ActionView);
    expect(expiry.at(-1)?.errorReport?.expired).toBe(true);
    // Still exactly one email for the action, whatever the crons did since.
    expect(recorder.emails.filter((e) => e.subject.includes(ref))).toHaveLength(1);
  }, 30_000);

  test("a stream ends by itself before the platform's limit, and resumes without a gap", async () => {
    const reader = await openStream();
    const hello = await reader.next();
    expect(hello?.raw).toMatch(/^retry: 2000\nid: \d+\n: connected$/);
    const started = Date.now();
    while (await reader.next(8_000)) {
      // heartbeats or events until the stream ends
    }
    expect(reader.ended).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(3_000);

    // Missed while disconnected: replayed on reconnection with Last-Event-ID, nothing before it.
    const { frames: before } = await follow("0", () => false, 1_000);
    const lastSeen = before.at(-1)!.id!;
    const res = await edge.request("/v1/actions", {
      method: "POST",
      headers: { ...bearer(ADA), "content-type": "application/json" },
      body: JSON.stringify({ type: "user_upload", params: {} }),
    });
    expect(res.status).toBe(415);
    const missed = await uploadCsv(edge, ADA, "email\nhedy@example.com\n", "one.csv");
    const ref = ((await missed.json()) as ActionView).referenceId;
    await waitFor("the action to end", async () => isFinal((await getAction(ref)).status));
    const { frames } = await follow(lastSeen, ended(ref), 6_000);
    expect(frames.every((f) => Number(f.id) > Number(lastSeen))).toBe(true);
    expect(statusesOf(framesOf(frames, ref)).filter((s) => s.startsWith("action.status"))).toEqual([
      "action.status:not_started",
      "action.status:in_progress",
      "action.status:completed",
    ]);
  }, 30_000);

  test("a failed send is retried by a delayed turn (no cron), and the email goes once", async () => {
    recorder.failNext(1, 503);
    const before = recorder.requests;
    const res = await uploadCsv(
      edge,
      ADA,
      "email,first_name,last_name\nann@example.com,Ann,Lee\n",
      "ann.csv",
    );
    const ref = ((await res.json()) as ActionView).referenceId;
    await waitFor(
      "the retried email",
      // No cron is fired here (the test fires them itself), so the retry came from a delayed turn.
      async () => recorder.emails.find((e) => e.subject.includes(ref)),
      30_000,
    );
    expect(recorder.requests - before).toBe(2);
    expect(recorder.emails.filter((e) => e.subject.includes(ref))).toHaveLength(1);
  }, 45_000);

  test("content packages go to R2, and the uploaded request body leaves it once staged", async () => {
    const created = await uploadZips(edge, ADA, "content_upload", [
      ["safety.zip", scorm12Zip()],
      ["notes.zip", new TextEncoder().encode("not a zip at all")],
    ]);
    const action = await waitFor("the content upload to end", async () => {
      const now = await getAction(created.referenceId);
      return isFinal(now.status) && now;
    });
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toMatchObject({ total: 2, processed: 2, succeeded: 1, errors: 1 });
    const d1 = await edge.d1();
    const { results } = await d1.prepare("SELECT key FROM blobs").all();
    expect(results).toEqual([]);
    const bucket = (await edge.mf.getR2Bucket("BLOBS")) as unknown as R2Bucket;
    const keys = (await bucket.list()).objects.map((o) => o.key);
    expect(keys.some((key) => key.startsWith("packages/"))).toBe(true);
    expect(keys.filter((key) => key.startsWith("uploads/"))).toEqual([]);
    const course = await d1
      .prepare("SELECT code, package_key FROM courses WHERE portal_id = ?")
      .bind("p1")
      .first();
    expect(course).toMatchObject({ code: "SAFETY-101" });
  }, 20_000);

  test("sessions and CSRF at the edge: a D1 session, refused from a foreign origin, ended by DELETE", async () => {
    const cookie = await sessionCookie(edge.request, ADA);
    expect((await edge.request("/v1/actions", { headers: { cookie } })).status).toBe(200);
    const post = (origin: string) =>
      edge.request("/v1/actions", {
        method: "POST",
        // A refusal answers before the body is read, and workerd then closes the connection: a new one each.
        keepalive: false,
        headers: { cookie, origin, "content-type": "application/json" },
        body: JSON.stringify({ type: "reminder_send", params: { course: "NOPE" } }),
      });
    const foreign = await post("http://127.0.0.1:1");
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { type: string }).type).toBe("/problems/cross-origin");
    // From its own origin the request gets past the check (to the params' own 422).
    expect((await post(edge.url)).status).toBe(422);
    const out = await edge.request("/v1/session", {
      method: "DELETE",
      headers: { cookie, origin: edge.url },
    });
    expect(out.status).toBe(204);
    expect((await edge.request("/v1/actions", { headers: { cookie } })).status).toBe(401);
  });

  test("nothing failed inside the worker", () => {
    expect(edge.logs.filter((line) => /"level":"error"|Uncaught|internal error/.test(line))).toEqual([]);
    expect(edge.logs.some((line) => line.includes('"msg":"outbox.sent"'))).toBe(true);
  });
});
