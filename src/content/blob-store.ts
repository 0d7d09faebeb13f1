/**
 * Byte storage for uploaded packages, keyed by slash-separated paths such as
 * `packages/3f2a…/course.zip`. Runtime-agnostic: no `node:` imports.
 */

/** Minimal async key/value store for binary blobs. */
export interface BlobStore {
  /** Stores `data` under `key`, replacing any previous value. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Returns the bytes stored under `key`, or `null` when there are none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** Longest accepted key, in characters. */
export const MAX_BLOB_KEY_LENGTH = 512;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * True for keys made of `/`-separated segments that start with a letter or digit and
 * contain only letters, digits, `.`, `_` and `-` (so no `..`, no absolute paths, no
 * backslashes, no hidden files, no empty segments).
 */
export function isValidBlobKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_BLOB_KEY_LENGTH) return false;
  return key.split("/").every((segment) => SEGMENT.test(segment));
}

/** Throws a `TypeError` unless {@link isValidBlobKey} accepts `key`. */
export function assertValidBlobKey(key: string): void {
  if (!isValidBlobKey(key)) throw new TypeError(`Invalid blob key: ${JSON.stringify(key.slice(0, 100))}`);
}

/** In-memory {@link BlobStore} for tests and as an edge fallback; copies bytes in and out. */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async put(key: string, data: Uint8Array): Promise<void> {
    assertValidBlobKey(key);
    this.#blobs.set(key, data.slice());
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertValidBlobKey(key);
    return this.#blobs.get(key)?.slice() ?? null;
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    this.#blobs.delete(key);
  }

  /** Number of stored blobs (handy in tests). */
  get size(): number {
    return this.#blobs.size;
  }
}
