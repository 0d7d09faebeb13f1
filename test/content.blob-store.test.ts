import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BlobStore, isValidBlobKey, MemoryBlobStore } from "../src/content/blob-store";
import { FsBlobStore } from "../src/content/fs-blob-store";

const BAD_KEYS = [
  "",
  "../x",
  "a/../b",
  "/abs",
  "a\\b",
  "..\\x",
  "a//b",
  "a/",
  ".hidden",
  "a/.tmp",
  "C:x",
  "a b",
];

let tempRoot = "";

beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), "blob-store-test-"));
});

afterAll(async () => {
  await rm(tempRoot, { recursive: true, force: true });
});

describe("isValidBlobKey", () => {
  test("accepts slash-separated safe segments", () => {
    for (const key of ["a", "packages/3f2a/course.zip", "x_1-2.bin", "A/B/C"])
      expect(isValidBlobKey(key)).toBe(true);
  });

  test("rejects traversal, absolute paths, backslashes, hidden and empty segments", () => {
    for (const key of BAD_KEYS) expect(isValidBlobKey(key)).toBe(false);
    expect(isValidBlobKey("a".repeat(513))).toBe(false);
  });
});

const stores: [string, () => BlobStore][] = [
  ["MemoryBlobStore", () => new MemoryBlobStore()],
  ["FsBlobStore", () => new FsBlobStore(join(tempRoot, crypto.randomUUID()))],
];

for (const [name, make] of stores) {
  describe(name, () => {
    test("put, get, overwrite, delete", async () => {
      const store = make();
      expect(await store.get("packages/p1/course.zip")).toBeNull();
      await store.put("packages/p1/course.zip", Uint8Array.of(1, 2, 3));
      expect(await store.get("packages/p1/course.zip")).toEqual(Uint8Array.of(1, 2, 3));
      await store.put("packages/p1/course.zip", Uint8Array.of(9));
      expect(await store.get("packages/p1/course.zip")).toEqual(Uint8Array.of(9));
      await store.delete("packages/p1/course.zip");
      expect(await store.get("packages/p1/course.zip")).toBeNull();
      await store.delete("packages/p1/course.zip"); // deleting twice is fine
    });

    test("stored bytes are independent of the caller's buffer", async () => {
      const store = make();
      const data = Uint8Array.of(1, 2, 3);
      await store.put("k", data);
      data[0] = 42;
      const first = await store.get("k");
      expect(first).toEqual(Uint8Array.of(1, 2, 3));
      first![1] = 42;
      expect(await store.get("k")).toEqual(Uint8Array.of(1, 2, 3));
    });

    test("empty blobs round-trip", async () => {
      const store = make();
      await store.put("empty", new Uint8Array(0));
      expect(await store.get("empty")).toEqual(new Uint8Array(0));
    });

    test("unsafe keys are refused by every method", async () => {
      const store = make();
      for (const key of BAD_KEYS) {
        await expect(store.put(key, Uint8Array.of(1))).rejects.toThrow(TypeError);
        await expect(store.get(key)).rejects.toThrow(TypeError);
        await expect(store.delete(key)).rejects.toThrow(TypeError);
      }
    });
  });
}

describe("FsBlobStore on disk", () => {
  test("writes under its root and leaves no temporary files", async () => {
    const root = join(tempRoot, "disk");
    const store = new FsBlobStore(root);
    const big = new Uint8Array(256 * 1024).map((_, i) => i & 0xff);
    await Promise.all([
      store.put("p/a.zip", big),
      store.put("p/b.zip", Uint8Array.of(7)),
      store.put("p/a.zip", big),
    ]);
    expect((await readdir(join(root, "p"))).sort()).toEqual(["a.zip", "b.zip"]);
    expect((await stat(join(root, "p/a.zip"))).size).toBe(big.length);
    expect(store.pathFor("p/a.zip")).toBe(join(store.root, "p", "a.zip"));
    expect(await store.get("p/a.zip")).toEqual(big);
  });

  test("nothing is written outside the root for hostile keys", async () => {
    const root = join(tempRoot, "jail");
    const store = new FsBlobStore(root);
    await expect(store.put("../escaped", Uint8Array.of(1))).rejects.toThrow(TypeError);
    expect(await readdir(tempRoot)).not.toContain("escaped");
  });
});
