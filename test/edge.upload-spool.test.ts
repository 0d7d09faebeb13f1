/**
 * The edge's upload spool on R2, run inside workerd (Miniflare) against its R2 bucket: a small harness
 * worker imports src/edge/r2-upload-spool.ts as built by Bun, writes files in the chunks a request body
 * arrives in, reads them back and reports. Large files go through a multipart upload of equal 5 MiB
 * parts, small ones stay in memory (one part's worth per request), every byte comes back in place, and
 * nothing is left in the bucket once the request is done; leftovers of a dead invocation are swept.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Miniflare } from "miniflare";
import { PART_BYTES } from "../src/edge/r2-upload-spool";

const HARNESS = `
import { R2UploadSpool, sweepUploadSpool, UPLOAD_PREFIX } from "./spool.js";

/** Bytes that are not periodic, so a misplaced or repeated part cannot go unnoticed. */
function bytes(length, seed) {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const spooled = async (bucket) => (await bucket.list({ prefix: UPLOAD_PREFIX })).objects.length;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.searchParams.has("sweep")) {
      await env.BLOBS.put(UPLOAD_PREFIX + "left-over", bytes(10, 7));
      const now = await sweepUploadSpool(env.BLOBS, Date.now());
      const later = await sweepUploadSpool(env.BLOBS, Date.now() + 2 * 3600000);
      return Response.json({ now, later, left: await spooled(env.BLOBS) });
    }
    const sizes = url.searchParams.get("sizes").split(",").map(Number);
    const spool = new R2UploadSpool(env.BLOBS);
    const files = [];
    for (const [i, size] of sizes.entries()) {
      const data = bytes(size, i + 1);
      const writer = spool.create("f" + i);
      // Chunks as a body brings them: 64 KiB, then odd sizes.
      for (let offset = 0, step = 65536; offset < size; offset += step, step = step === 65536 ? 4099 : 65536) {
        await writer.write(data.subarray(offset, Math.min(size, offset + step)));
      }
      if (url.searchParams.has("abandon")) break;
      const file = await writer.close();
      files.push({ data, file });
    }
    const inR2 = await spooled(env.BLOBS);
    const back = [];
    for (const { data, file } of files) {
      const streamed = new Uint8Array(await new Response(file.stream()).arrayBuffer());
      const whole = new Uint8Array(await file.arrayBuffer());
      back.push({ name: file.name, size: file.size, streamed: equal(streamed, data), whole: equal(whole, data) });
    }
    await spool.dispose();
    return Response.json({ files: back, inR2, afterDispose: await spooled(env.BLOBS) });
  },
};
`;

let mf: Miniflare;
let url: string;

beforeAll(async () => {
  const built = await Bun.build({
    entrypoints: [resolve(import.meta.dir, "../src/edge/r2-upload-spool.ts")],
    format: "esm",
    target: "browser",
  });
  mf = new Miniflare({
    modules: [
      { type: "ESModule", path: "harness.js", contents: HARNESS },
      { type: "ESModule", path: "spool.js", contents: await built.outputs[0]!.text() },
    ],
    compatibilityDate: "2026-04-01",
    r2Buckets: { BLOBS: "spool-test" },
  });
  url = (await mf.ready).toString();
}, 30_000);

afterAll(async () => {
  await mf?.dispose();
});

const run = async (query: string) =>
  (await (await fetch(`${url}?${query}`)).json()) as Record<string, unknown>;
const intact = (name: string, size: number) => ({ name, size, streamed: true, whole: true });

describe("R2UploadSpool in workerd", () => {
  test("a large file goes to R2 in parts and comes back whole; a small one stays in memory", async () => {
    const large = 2 * PART_BYTES + 12_345;
    expect(await run(`sizes=${large},1000`)).toEqual({
      files: [intact("f0", large), intact("f1", 1000)],
      inR2: 1,
      afterDispose: 0,
    });
  }, 30_000);

  test("small files beyond one part's worth in one request go to R2 too", async () => {
    const sizes = [PART_BYTES - 10, 100, PART_BYTES - 1];
    expect(await run(`sizes=${sizes.join(",")}`)).toEqual({
      files: sizes.map((size, i) => intact(`f${i}`, size)),
      inR2: 2,
      afterDispose: 0,
    });
  }, 30_000);

  test("a file abandoned half-way leaves nothing once disposed; old leftovers are swept", async () => {
    expect(await run(`sizes=${PART_BYTES + 1}&abandon`)).toEqual({ files: [], inR2: 0, afterDispose: 0 });
    expect(await run("sweep")).toEqual({ now: 0, later: 1, left: 0 });
  }, 30_000);
});
