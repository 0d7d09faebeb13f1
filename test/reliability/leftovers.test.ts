/**
 * What an action leaves behind once it is final. Staged input (`action_inputs`, the whole file as JSON
 * chunks) and uploaded packages (blobs) are only needed until the action ends, whichever way it ends:
 * also when its requester cancels it, running or scheduled. (A cancelled or swept action used to keep
 * them forever: a 1,000,000-row upload cancelled halfway left ~100 MB in the database for good.)
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { sql } from "drizzle-orm";
import { ADA, bearer } from "../support/env";
import { Cluster, log, sharedDatabase, until } from "./support/harness";
import { packageUpload, userUpload } from "./support/inputs";

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

test("a cancelled upload (running, and scheduled) leaves no staged input and no uploaded packages", async () => {
  const dir = cluster.tempDir();
  const { url, database } = await sharedDatabase(cluster, dir);
  const { db } = database;
  const api = await cluster.start({ DATABASE_URL: url, ROLE: "api" });
  const upload = userUpload(200_000, "left");
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File([upload.body], upload.fileName));
  const running = await fetch(`${api.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
  const runningRef = ((await running.json()) as { referenceId: string }).referenceId;
  const packages = packageUpload("LEFT", 4);
  const later = new FormData();
  later.set("type", "content_upload");
  later.set("scheduledFor", new Date(Date.now() + 3_600_000).toISOString());
  for (const [name, bytes] of packages.files)
    later.append("file", new File([bytes as Uint8Array<ArrayBuffer>], name));
  const scheduled = await fetch(`${api.url}/v1/actions`, {
    method: "POST",
    body: later,
    headers: bearer(ADA),
  });
  const scheduledRef = ((await scheduled.json()) as { referenceId: string }).referenceId;

  await cluster.start({ DATABASE_URL: url, ROLE: "worker" });
  await until(
    "the upload to be running",
    async () =>
      (
        await db.all<{ checkpoint: number }>(
          sql`SELECT checkpoint FROM actions WHERE reference_id = ${runningRef}`,
        )
      )[0]!.checkpoint > 4,
    30_000,
    10,
  );
  for (const ref of [runningRef, scheduledRef]) {
    const res = await fetch(`${api.url}/v1/actions/${ref}/cancel`, { method: "POST", headers: bearer(ADA) });
    expect(res.status).toBe(200);
  }
  // A few sweeps later…
  await Bun.sleep(7_000);
  const rows = await db.all<{ id: number; reference_id: string; status: string; chunks: number }>(
    sql`SELECT a.id, a.reference_id, a.status, (SELECT count(*) FROM action_inputs i WHERE i.action_id = a.id) AS chunks
        FROM actions a ORDER BY a.id`,
  );
  const blobsOf = (id: number) => {
    const folder = `${dir}/blobs/uploads/${id}`;
    return existsSync(folder) ? readdirSync(folder).length : 0;
  };
  const left = rows.map((r) => ({
    ref: r.reference_id,
    status: r.status,
    chunks: r.chunks,
    blobs: blobsOf(r.id),
  }));
  log(`leftovers: after cancelling: ${JSON.stringify(left)}`);
  expect(left.map((r) => r.status)).toEqual(["cancelled", "cancelled"]);
  expect(left.map((r) => [r.chunks, r.blobs])).toEqual([
    [0, 0],
    [0, 0],
  ]);
}, 60_000);
