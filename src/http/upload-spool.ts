/**
 * File parts of an upload, written to temporary files next to the database while the body is read
 * (Bun only; the edge keeps `formData()` under its smaller body limit). Removed when the request ends;
 * files left by a crash are swept when a process starts.
 */
import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Spool, SpoolWriter, UploadedFile } from "./multipart";

export class UploadSpool implements Spool {
  private readonly paths: string[] = [];
  private readonly open = new Set<FileHandle>();

  constructor(private readonly dir: string) {}

  create(fileName: string): SpoolWriter {
    const path = join(this.dir, `${randomUUID()}.part`);
    this.paths.push(path);
    let handle: FileHandle | null = null;
    let size = 0;
    const opened = async () => {
      if (!handle) {
        await mkdir(this.dir, { recursive: true });
        handle = await open(path, "w");
        this.open.add(handle);
      }
      return handle;
    };
    return {
      write: async (chunk) => {
        const file = await opened();
        for (let offset = 0; offset < chunk.length; ) {
          offset += (await file.write(chunk, offset, chunk.length - offset)).bytesWritten;
        }
        size += chunk.length;
      },
      close: async () => {
        const file = await opened();
        this.open.delete(file);
        await file.close();
        return spooledFile(path, fileName, size);
      },
    };
  }

  /** Closes and removes every file of this request. */
  async dispose(): Promise<void> {
    await Promise.all([...this.open].map((handle) => handle.close().catch(() => {})));
    this.open.clear();
    await Promise.all(this.paths.map((path) => rm(path, { force: true })));
  }
}

function spooledFile(path: string, name: string, size: number): UploadedFile {
  return {
    name,
    size,
    stream: () => Bun.file(path).stream(),
    arrayBuffer: () => Bun.file(path).arrayBuffer(),
  };
}

/** Removes spooled files older than `olderThanMs` (left by a process that died mid-upload). */
export async function sweepSpool(dir: string, now: number, olderThanMs = 3_600_000): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith(".part")) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info && now - info.mtimeMs > olderThanMs) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
