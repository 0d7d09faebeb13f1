/**
 * DbBlobStore, the blob store of an edge without R2, on both databases it serves: libSQL (a temp file)
 * and D1 (Miniflare's, reached from the test through its binding proxy with drizzle-orm/d1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/d1";
import { Miniflare } from "miniflare";
import { DbBlobStore, fromBase64, toBase64 } from "../src/content/db-blob-store";
import { createDatabase, type Database, type Db } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import * as schema from "../src/db/schema";
import { tempDir } from "./support/env";
import { migrationStatements } from "./support/miniflare";

const dir = tempDir("tracker-edge-blobs-");
let libsql: Database;
let mf: Miniflare;
let d1Db: Db;

beforeAll(async () => {
  const url = `file:${join(dir.path, "tracker.db")}`;
  libsql = createDatabase({ url });
  await migrateDatabase(libsql, url);
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch: () => new Response('') }",
    compatibilityDate: "2026-04-01",
    d1Databases: { DB: "blob-test" },
  });
  const d1 = await mf.getD1Database("DB");
  for (const statement of migrationStatements()) await d1.prepare(statement).run();
  d1Db = drizzle(d1 as never, { schema }) as unknown as Db;
}, 20_000);

afterAll(async () => {
  libsql.close();
  await mf.dispose();
  dir.cleanup();
});

/** Bytes that are not text and not periodic, so a misplaced chunk cannot go unnoticed. */
function bytes(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test("base64 helpers round-trip every byte value", () => {
  const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
  const out = new Uint8Array(all.length);
  expect(fromBase64(toBase64(all), out, 0)).toBe(all.length);
  expect(out).toEqual(all);
});

for (const [name, db] of [
  ["libSQL", () => libsql.db],
  ["D1", () => d1Db],
] as const) {
  describe(`DbBlobStore on ${name}`, () => {
    test("put, get, overwrite, delete; missing keys are null", async () => {
      const store = new DbBlobStore(db());
      expect(await store.get("packages/p1/a.zip")).toBeNull();
      await store.put("packages/p1/a.zip", Uint8Array.of(1, 2, 3));
      expect(await store.get("packages/p1/a.zip")).toEqual(Uint8Array.of(1, 2, 3));
      await store.put("packages/p1/a.zip", new Uint8Array(0));
      expect(await store.get("packages/p1/a.zip")).toEqual(new Uint8Array(0));
      await store.delete("packages/p1/a.zip");
      expect(await store.get("packages/p1/a.zip")).toBeNull();
      await store.delete("packages/p1/a.zip");
    });

    test("a value larger than a D1 row is chunked, and a shorter overwrite leaves no stale chunk", async () => {
      const store = new DbBlobStore(db());
      const big = bytes(3 * 1024 * 1024 + 5);
      await store.put("packages/p2/big.zip", big);
      expect(await store.get("packages/p2/big.zip")).toEqual(big);
      const rows = await db()
        .select({ key: schema.blobs.key, size: schema.blobs.size })
        .from(schema.blobs)
        .all();
      const mine = rows.filter((r) => r.key.startsWith("packages/p2/big.zip"));
      // head + 7 chunks of 512 KiB (the last one 5 bytes)
      expect(mine).toHaveLength(8);
      expect(Math.max(...mine.map((r) => r.size))).toBe(big.length);

      const small = bytes(600 * 1024, 11);
      await store.put("packages/p2/big.zip", small);
      expect(await store.get("packages/p2/big.zip")).toEqual(small);
      const after = (await db().select({ key: schema.blobs.key }).from(schema.blobs).all()).filter((r) =>
        r.key.startsWith("packages/p2/big.zip"),
      );
      expect(after).toHaveLength(3);
      await store.delete("packages/p2/big.zip");
      const left = (await db().select({ key: schema.blobs.key }).from(schema.blobs).all()).filter((r) =>
        r.key.startsWith("packages/p2/"),
      );
      expect(left).toEqual([]);
    });

    test("keys that share a prefix stay apart", async () => {
      const store = new DbBlobStore(db(), { chunkBytes: 4 });
      await store.put("k/a", bytes(10, 1));
      await store.put("k/a.b", bytes(9, 2));
      await store.put("k/a-", bytes(8, 3));
      expect(await store.get("k/a")).toEqual(bytes(10, 1));
      expect(await store.get("k/a.b")).toEqual(bytes(9, 2));
      await store.delete("k/a");
      expect(await store.get("k/a")).toBeNull();
      expect(await store.get("k/a-")).toEqual(bytes(8, 3));
    });

    test("invalid keys are refused", async () => {
      const store = new DbBlobStore(db());
      await expect(store.put("../x", Uint8Array.of(1))).rejects.toThrow(TypeError);
      await expect(store.get("a#000001")).rejects.toThrow(TypeError);
    });
  });
}
