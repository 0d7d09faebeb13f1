/** A {@link BlobStore} on an R2 bucket (the `BLOBS` binding): packages stay out of the database. */
import { assertValidBlobKey, type BlobStore } from "../content/blob-store";
import type { R2Bucket } from "./types";

export class R2BlobStore implements BlobStore {
  constructor(private readonly bucket: R2Bucket) {}

  async put(key: string, data: Uint8Array): Promise<void> {
    assertValidBlobKey(key);
    await this.bucket.put(key, data);
  }

  async get(key: string): Promise<Uint8Array | null> {
    assertValidBlobKey(key);
    const object = await this.bucket.get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    await this.bucket.delete(key);
  }
}
