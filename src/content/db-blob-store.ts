/**
 * A {@link BlobStore} in the database's `blobs` table, for the edge without an R2 bucket (and any
 * deployment without a shared file system). D1 caps a row (and a string) at 2 MB and a query at 100
 * bound parameters, so bytes are stored as base64 text in chunks of 512 KiB (about 700 KB of text):
 *
 * - the head row, under the key itself, holds `{"chunks":n}` and the total size;
 * - chunk rows live under `<key>#000000`, `<key>#000001`, … — `#` is not allowed in a blob key, so a
 *   chunk key can never be a real key, and a chunk range is the key range [`<key>#`, `<key>$`).
 *
 * A put writes its chunks first and the head last, so a reader sees the old value or nothing, never a
 * partial one; a value of one batch is written in one transaction. Runtime-agnostic: no `node:` imports.
 */
import { and, asc, eq, gt, gte, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { blobs } from "../db/schema";
import { assertValidBlobKey, type BlobStore } from "./blob-store";

export interface DbBlobStoreOptions {
  /** Raw bytes per chunk row (before base64). Default 512 KiB; keep ≤ 1.4 MB for D1's 2 MB rows. */
  chunkBytes?: number;
  /** Chunk rows written per batch (one transaction, one request to the database). Default 4. */
  chunksPerBatch?: number;
  /** Current time in ms, for `created_at`. */
  now?: () => number;
}

const chunkKey = (key: string, index: number) => `${key}#${String(index).padStart(6, "0")}`;
/** `$` is the character after `#`, so [`key#`, `key$`) holds exactly the key's chunk rows. */
const rangeOf = (key: string) => and(gte(blobs.key, `${key}#`), lt(blobs.key, `${key}$`));

/** Base64 without Buffer: `btoa` over slices small enough for `String.fromCharCode(...)`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text: string, into: Uint8Array, offset: number): number {
  const binary = atob(text);
  for (let i = 0; i < binary.length; i++) into[offset + i] = binary.charCodeAt(i);
  return binary.length;
}

export class DbBlobStore implements BlobStore {
  private readonly chunkBytes: number;
  private readonly chunksPerBatch: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    options: DbBlobStoreOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? 512 * 1024;
    this.chunksPerBatch = options.chunksPerBatch ?? 4;
    this.now = options.now ?? Date.now;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    assertValidBlobKey(key);
    const { db } = this;
    const now = this.now();
    const count = Math.max(1, Math.ceil(data.length / this.chunkBytes));
    const chunkRow = (index: number) => {
      const bytes = data.subarray(index * this.chunkBytes, (index + 1) * this.chunkBytes);
      return db
        .insert(blobs)
        .values({ key: chunkKey(key, index), data: toBase64(bytes), size: bytes.length, createdAt: now });
    };
    const head = db
      .insert(blobs)
      .values({ key, data: JSON.stringify({ chunks: count }), size: data.length, createdAt: now })
      .onConflictDoUpdate({
        target: blobs.key,
        set: { data: JSON.stringify({ chunks: count }), size: data.length, createdAt: now },
      });
    // First batch: forget the old value (head and chunks), then the first chunks.
    let next = Math.min(count, this.chunksPerBatch);
    const first = [db.delete(blobs).where(eq(blobs.key, key)), db.delete(blobs).where(rangeOf(key))];
    const firstChunks = Array.from({ length: next }, (_, i) => chunkRow(i));
    if (next === count) {
      await db.batch([first[0]!, first[1]!, ...firstChunks, head]);
      return;
    }
    await db.batch([first[0]!, first[1]!, ...firstChunks]);
    while (next < count) {
      const end = Math.min(count, next + this.chunksPerBatch);
      const rows = Array.from({ length: end - next }, (_, i) => chunkRow(next + i));
      await db.batch([rows[0]!, ...rows.slice(1), ...(end === count ? [head] : [])]);
      next = end;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertValidBlobKey(key);
    const { db } = this;
    const [head] = await db
      .select({ data: blobs.data, size: blobs.size })
      .from(blobs)
      .where(eq(blobs.key, key))
      .limit(1);
    if (!head) return null;
    const { chunks } = JSON.parse(head.data) as { chunks: number };
    const out = new Uint8Array(head.size);
    let offset = 0;
    let after = `${key}#`;
    let read = 0;
    // A few chunks per query keeps each result a few MB, well within D1's response limits.
    while (read < chunks) {
      const rows = await db
        .select({ key: blobs.key, data: blobs.data })
        .from(blobs)
        .where(and(rangeOf(key), gt(blobs.key, after)))
        .orderBy(asc(blobs.key))
        .limit(this.chunksPerBatch);
      if (rows.length === 0) break;
      for (const row of rows) offset += fromBase64(row.data, out, offset);
      read += rows.length;
      after = rows[rows.length - 1]!.key;
    }
    if (read !== chunks || offset !== head.size) {
      throw new Error(`Blob ${key} is incomplete: ${read}/${chunks} chunks, ${offset}/${head.size} bytes`);
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    await this.db.batch([
      this.db.delete(blobs).where(eq(blobs.key, key)),
      this.db.delete(blobs).where(rangeOf(key)),
    ]);
  }
}
