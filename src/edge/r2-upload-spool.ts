/**
 * Where an upload's file parts go at the edge while the request body is read (the `BLOBS` R2 bucket),
 * so a file larger than a Worker can hold in memory (128 MB) is accepted: each file is written as an R2
 * multipart upload, one 5 MiB part at a time as the bytes arrive, and staged afterwards by streaming it
 * back from R2. Files that end before their first part is full stay in memory, up to one part's worth
 * per request in all (most uploads: no R2 operation at all). The objects are removed when the request
 * is done with them; those of an invocation that died are swept by the hourly cron.
 */
import type { UploadedFile } from "../engine/submission";
import type { RequestSpool, SpoolWriter } from "../http/multipart";
import type { R2Bucket, R2MultipartUpload, R2UploadedPart } from "./types";

/** R2's smallest part; every part but the last has exactly this size (R2 wants them equal). */
export const PART_BYTES = 5 * 1024 * 1024;
export const UPLOAD_PREFIX = "uploads/";
/** Spooled bodies older than this are left over by a dead invocation (a request lasts far less). */
const ORPHAN_AFTER_MS = 3_600_000;

/** Copies the first `length` bytes of `chunks` into one array, and drops them from `chunks`. */
function take(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let filled = 0; filled < length; ) {
    const head = chunks[0]!;
    const n = Math.min(head.length, length - filled);
    out.set(head.subarray(0, n), filled);
    filled += n;
    if (n === head.length) chunks.shift();
    else chunks[0] = head.subarray(n);
  }
  return out;
}

export class R2UploadSpool implements RequestSpool {
  private readonly keys: string[] = [];
  private readonly unfinished = new Set<R2MultipartUpload>();
  /** Bytes of small files kept in memory by this request. */
  private inMemory = 0;

  constructor(private readonly bucket: R2Bucket) {}

  create(fileName: string): SpoolWriter {
    // The multipart reader never changes a chunk it handed over, so chunks are kept as they come.
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let size = 0;
    let key: string | null = null;
    let upload: R2MultipartUpload | null = null;
    const parts: R2UploadedPart[] = [];
    const objectKey = () => {
      if (!key) {
        key = `${UPLOAD_PREFIX}${crypto.randomUUID()}`;
        this.keys.push(key);
      }
      return key;
    };
    const sendPart = async (bytes: Uint8Array) => {
      if (!upload) {
        upload = await this.bucket.createMultipartUpload(objectKey());
        this.unfinished.add(upload);
      }
      parts.push(await upload.uploadPart(parts.length + 1, bytes));
    };
    return {
      write: async (chunk) => {
        size += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= PART_BYTES) {
          pendingBytes -= PART_BYTES;
          await sendPart(take(pending, PART_BYTES));
        }
      },
      close: async () => {
        const rest = take(pending, pendingBytes);
        if (upload) {
          if (rest.length > 0) await sendPart(rest);
          await upload.complete(parts);
          this.unfinished.delete(upload);
        } else if (this.inMemory + rest.length <= PART_BYTES) {
          this.inMemory += rest.length;
          return memoryFile(rest, fileName);
        } else {
          await this.bucket.put(objectKey(), rest);
        }
        return r2File(this.bucket, objectKey(), fileName, size);
      },
    };
  }

  /** Aborts what is still being written and removes every object of this request. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.unfinished].map((upload) => upload.abort()));
    this.unfinished.clear();
    if (this.keys.length > 0) await this.bucket.delete(this.keys);
  }
}

function memoryFile(bytes: Uint8Array, name: string): UploadedFile {
  return {
    name,
    size: bytes.length,
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
    arrayBuffer: async () => bytes.slice().buffer,
  };
}

/** A spooled file, read back from R2 as a stream (the stream opens the object on its first read). */
function r2File(bucket: R2Bucket, key: string, name: string, size: number): UploadedFile {
  const open = async () => {
    const object = await bucket.get(key);
    if (!object) throw new Error(`The uploaded file ${name} is no longer in R2.`);
    return object;
  };
  return {
    name,
    size,
    stream() {
      let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          reader ??= (await open()).body.getReader();
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: (reason) => reader?.cancel(reason),
      });
    },
    arrayBuffer: async () => (await open()).arrayBuffer(),
  };
}

/** Removes spooled bodies older than an hour (left by an invocation that died mid-upload). */
export async function sweepUploadSpool(bucket: R2Bucket, now: number): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: UPLOAD_PREFIX, ...(cursor ? { cursor } : {}) });
    const old = page.objects.filter((o) => now - new Date(o.uploaded).getTime() > ORPHAN_AFTER_MS);
    if (old.length > 0) await bucket.delete(old.map((o) => o.key));
    removed += old.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return removed;
}
