/**
 * File-system {@link BlobStore} for Bun/Node: one file per key under a root folder,
 * written atomically (temporary file in the same folder, then rename).
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { assertValidBlobKey, type BlobStore } from "./blob-store";

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/** Stores blobs as files under `root` (default `data/blobs`); keys map to relative paths. */
export class FsBlobStore implements BlobStore {
  readonly root: string;

  constructor(root = "data/blobs") {
    this.root = resolve(root);
  }

  /** Absolute file path for a validated key; refuses anything resolving outside the root. */
  pathFor(key: string): string {
    assertValidBlobKey(key);
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new TypeError(`Blob key escapes the store: ${key}`);
    return path;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.pathFor(key);
    await mkdir(dirname(path), { recursive: true });
    // Leading "." keeps temp names outside the key space (segments must start alphanumeric).
    const temp = join(dirname(path), `.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, data, { flag: "wx" });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const path = this.pathFor(key);
    try {
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }
}
