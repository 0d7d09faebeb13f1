/**
 * The engine at the edge driven by its Queue, in workerd (Miniflare) with the bindings wrangler.toml
 * declares: an upload goes to R2 as it arrives (several multipart parts), is staged from there, and is
 * run turn after turn by queue messages, with no Cron Trigger at all; one consumer invocation is made
 * to fail half-way (D1's "Network connection lost" after a slice committed: the probe of
 * test/support/d1-probe.ts), and the queue's retry resumes from the checkpoint, so every count is
 * exact and no row is applied twice. The bench (bench/edge.ts) runs the same with 300,000 rows in a
 * 103 MiB file; here 40,000 rows (14 MiB) keep the test short on a busy machine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ActionView } from "../src/actions/view";
import type { R2Bucket } from "../src/edge/types";
import { ADA, bearer, TEST_SECRET } from "./support/env";
import { type Bundle, type EdgeWorker, sharedWorkerBundle, startEdgeWorker } from "./support/miniflare";
import { SseReader } from "./support/sse";
import { uploadCsv } from "./support/tracker";
import { hrExportCsv } from "./support/users-csv";

/** About 14 MiB as an HR system exports it: three R2 parts of 5 MiB. */
const ROWS = 40_000;
/** Slices are 1,000 rows at the edge: the 20th commit is half-way. */
const FAILING_SLICE = ROWS / 1_000 / 2;

let bundle: Bundle;
let edge: EdgeWorker;

beforeAll(async () => {
  bundle = await sharedWorkerBundle();
  // A small query budget per turn, so the file takes several turns (each asks for the next).
  edge = await startEdgeWorker(
    bundle,
    { AUTH_SECRET: TEST_SECRET, ENGINE_QUERY_BUDGET: "60" },
    { probe: { failSliceCommit: FAILING_SLICE } },
  );
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  bundle?.cleanup();
});

const count = async (sql: string, ...values: unknown[]) => {
  const row = await (await edge.d1())
    .prepare(sql)
    .bind(...values)
    .first<{ n: number }>();
  return row?.n ?? -1;
};

describe("the engine driven by the queue", () => {
  test("an upload spooled to R2 ends exactly, with no cron, after a turn fails half-way", async () => {
    const { csv, errors, warnings } = hrExportCsv(ROWS);
    expect(csv.length).toBeGreaterThan(2 * 5 * 1024 * 1024);
    const stream = new SseReader(await edge.request("/v1/events", { headers: bearer(ADA) }));
    await stream.next();

    const res = await uploadCsv(edge, ADA, csv, "hr-export.csv");
    expect(res.status).toBe(202);
    const created = (await res.json()) as ActionView;
    expect(created.progress.total).toBe(ROWS);

    let final: ActionView | null = null;
    while (!final) {
      const [frame] = await stream.events(1, 60_000);
      expect(frame).toBeDefined();
      const view = JSON.parse(frame!.data!) as ActionView;
      if (view.referenceId === created.referenceId && view.status.startsWith("completed")) final = view;
    }
    await stream.cancel();

    expect(final.status).toBe("completed_with_errors");
    expect(final.progress).toEqual({
      total: ROWS,
      processed: ROWS,
      succeeded: ROWS - errors,
      errors,
      warnings,
    });
    // Each row applied once: the users, their group memberships, the report lines.
    const id = await count("SELECT id AS n FROM actions WHERE reference_id = ?", created.referenceId);
    expect(await count("SELECT count(*) AS n FROM users WHERE portal_id = ?", ADA.portal)).toBe(
      ROWS - errors,
    );
    expect(await count("SELECT count(*) AS n FROM report_rows WHERE action_id = ?", id)).toBe(
      errors + warnings,
    );
    expect(await count("SELECT count(*) AS n FROM action_inputs WHERE action_id = ?", id)).toBe(0);

    // The failure happened, the queue retried that turn, and turns took the file to its end: no cron.
    const logs = edge.logs;
    expect(logs.filter((l) => l.startsWith("d1-probe fault"))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('"msg":"edge.turn.failed"'))).toHaveLength(1);
    expect(logs.some((l) => l.includes('"msg":"edge.turn.retry"') && l.includes('"released":1'))).toBe(true);
    // A turn out of queries asked for the next one, which went on from where it stopped.
    expect(logs.some((l) => l.includes('"msg":"edge.turn.continue"'))).toBe(true);
    expect(logs.filter((l) => l.includes('"kind":"turn"')).length).toBeGreaterThanOrEqual(3);
    expect(logs.filter((l) => l.includes('"kind":"cron"') || l.includes('"kind":"kick"'))).toEqual([]);
    // The request body left R2 once staged.
    const bucket = (await edge.mf.getR2Bucket("BLOBS")) as unknown as R2Bucket;
    expect((await bucket.list({ prefix: "uploads/" })).objects).toEqual([]);
  }, 240_000);
});
