/**
 * File parts of an upload, written to temporary files next to the database while the body is read
 * (Bun only; the edge keeps `formData()` under its smaller body limit). Removed when the request ends;
 * files left by a crash are swept when a process starts.
 */
import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { UploadedFile } from "../engine/submission";
import type { RequestSpool, SpoolWriter } from "./multipart";

export class UploadSpool implements RequestSpool {
  private readonly paths: string[] = [];
  private readonly open = new Set<number>();

  constructor(private readonly dir: string) {}

  /**
   * Writes are synchronous on purpose: the page cache takes a chunk in microseconds, and a body read as
   * fast as it arrives is not buffered in memory by the server meanwhile (async writes let a 50 MB upload
   * pile up in Bun's request buffer).
   */
  create(fileName: string): SpoolWriter {
    const path = join(this.dir, `${randomUUID()}.part`);
    this.paths.push(path);
    let fd: number | null = null;
    let size = 0;
    const opened = () => {
      if (fd === null) {
        mkdirSync(this.dir, { recursive: true });
        fd = openSync(path, "w");
        this.open.add(fd);
      }
      return fd;
    };
    return {
      write: async (chunk) => {
        const file = opened();
        for (let offset = 0; offset < chunk.length; )
          offset += writeSync(file, chunk, offset, chunk.length - offset);
        size += chunk.length;
      },
      close: async () => {
        const file = opened();
        this.open.delete(file);
        closeSync(file);
        return spooledFile(path, fileName, size);
      },
    };
  }

  /** Closes and removes every file of this request. */
  async dispose(): Promise<void> {
    for (const fd of this.open) closeSync(fd);
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
