/**
 * The edge without its optional bindings (no stream objects, no engine queue, no R2): what a deployment
 * that leaves them out of wrangler.toml gets. Streams poll the log, the engine runs in a burst after each
 * submission, bodies are read whole, and content packages are kept in D1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isFinal } from "../src/actions/model";
import type { ActionView } from "../src/actions/view";
import { uploadZips } from "./support/content";
import { ADA, bearer, TEST_SECRET } from "./support/env";
import { type Bundle, type EdgeWorker, sharedWorkerBundle, startEdgeWorker } from "./support/miniflare";
import { type SseFrame, SseReader } from "./support/sse";
import { uploadCsv } from "./support/tracker";
import { scorm12Zip } from "./support/zip-fixtures";

let bundle: Bundle;
let edge: EdgeWorker;

beforeAll(async () => {
  bundle = await sharedWorkerBundle();
  edge = await startEdgeWorker(
    bundle,
    { AUTH_SECRET: TEST_SECRET, MAX_UPLOAD_BYTES: "33554432", MAX_FILE_BYTES: "33554432" },
    { without: ["STREAMS", "ENGINE", "BLOBS"] },
  );
}, 30_000);

afterAll(async () => {
  await edge?.stop();
  bundle?.cleanup();
});

const getAction = async (ref: string) =>
  (await (await edge.request(`/v1/actions/${ref}`, { headers: bearer(ADA) })).json()) as ActionView;

describe("the worker without stream objects, queue or R2", () => {
  test("a polling stream shows an upload that a burst after its POST runs to the end", async () => {
    const res = await edge.request("/v1/events", { headers: bearer(ADA) });
    const live = new SseReader(res);
    expect((await live.next())?.raw).toBe("retry: 2000\n: connected");
    const created = await uploadCsv(
      edge,
      ADA,
      "email,first_name,last_name\nann@example.com,Ann,Lee\n",
      "ann.csv",
    );
    const ref = ((await created.json()) as ActionView).referenceId;
    const frames: SseFrame[] = [];
    while (!frames.some((f) => JSON.parse(f.data!).status === "completed")) {
      const frame = await live.next(5_000);
      if (!frame) break;
      if (frame.event && JSON.parse(frame.data!).referenceId === ref) frames.push(frame);
    }
    await live.cancel();
    expect(frames.map((f) => JSON.parse(f.data!).status).filter((s, i, all) => all.indexOf(s) === i)).toEqual(
      ["not_started", "in_progress", "completed"],
    );
    expect(edge.logs.some((line) => line.includes('"kind":"kick"'))).toBe(true);
  }, 20_000);

  test("content packages go to the database's blob store", async () => {
    const created = await uploadZips(edge, ADA, "content_upload", [["safety.zip", scorm12Zip()]]);
    for (let action = await getAction(created.referenceId); !isFinal(action.status); ) {
      await Bun.sleep(100);
      action = await getAction(created.referenceId);
    }
    const d1 = await edge.d1();
    const { results } = await d1.prepare("SELECT key FROM blobs").all<{ key: string }>();
    expect(results.some((row: { key: string }) => row.key.startsWith("packages/"))).toBe(true);
  }, 20_000);
});
