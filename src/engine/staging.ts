/**
 * Staged input: items are stored in chunks (one row of `action_inputs` holds up to CHUNK_SIZE items)
 * so that staging 100,000 rows costs a few hundred inserts, and a worker resumes by chunk after a crash.
 */
import { and, asc, eq, gte } from "drizzle-orm";
import type { Db } from "../db/client";
import { actionInputs } from "../db/schema";
import { CollectionPacer } from "../lib/gc";
import { yieldToEventLoop } from "../lib/yield";
import type { StagedItem, Stager } from "./handler";

export const CHUNK_SIZE = 500;
/** Chunks written per batch while staging (bounded memory and transaction size). */
const CHUNKS_PER_WRITE = 8;
const YIELD_EVERY_MS = 5;

export class ChunkStager implements Stager {
  private pending: unknown[] = [];
  private chunks: (typeof actionInputs.$inferInsert)[] = [];
  private nextChunk = 0;
  private staged = 0;
  private yieldedAt = performance.now();
  private readonly pacer = new CollectionPacer();

  constructor(
    private readonly db: Db,
    private readonly actionId: number,
    private readonly chunkSize = CHUNK_SIZE,
  ) {}

  get count(): number {
    return this.staged;
  }

  async add(item: unknown): Promise<void> {
    this.pending.push(item);
    this.staged++;
    if (this.pending.length >= this.chunkSize) {
      this.sealChunk();
      if (this.chunks.length >= CHUNKS_PER_WRITE) await this.write();
      else if (performance.now() - this.yieldedAt > YIELD_EVERY_MS) await this.yield();
    }
  }

  /** Parsing between writes is CPU work too: other requests get the event loop every few milliseconds. */
  private async yield(): Promise<void> {
    await yieldToEventLoop();
    this.yieldedAt = performance.now();
  }

  /** Writes whatever is left; call once after the last item. */
  async flush(): Promise<void> {
    if (this.pending.length > 0) this.sealChunk();
    await this.write();
    // The parsed file is garbage now: collected at once, it does not add to the run's peak.
    this.pacer.settle();
  }

  private sealChunk(): void {
    const first = this.staged - this.pending.length;
    this.chunks.push({
      actionId: this.actionId,
      chunk: this.nextChunk++,
      first,
      count: this.pending.length,
      items: JSON.stringify(this.pending),
    });
    this.pending = [];
  }

  private async write(): Promise<void> {
    if (this.chunks.length === 0) return;
    const rows = this.chunks;
    this.chunks = [];
    // One row per statement keeps D1's 100-parameter limit; the batch is one transaction.
    const [first, ...rest] = rows.map((row) =>
      this.db.insert(actionInputs).values(row).onConflictDoNothing(),
    );
    await this.db.batch([first!, ...rest]);
    this.pacer.check();
    await this.yield();
  }
}

/** Reads chunks from `fromChunk` on, up to `maxItems` items (at least one chunk). */
export async function readChunks(
  db: Db,
  actionId: number,
  fromChunk: number,
  maxChunks: number,
): Promise<{ chunk: number; items: StagedItem[] }[]> {
  const rows = await db
    .select()
    .from(actionInputs)
    .where(and(eq(actionInputs.actionId, actionId), gte(actionInputs.chunk, fromChunk)))
    .orderBy(asc(actionInputs.chunk))
    .limit(maxChunks);
  return rows.map((row) => ({
    chunk: row.chunk,
    items: (JSON.parse(row.items) as unknown[]).map((item, i) => ({ position: row.first + i, item })),
  }));
}

export function deleteStagedInput(db: Db, actionId: number) {
  return db.delete(actionInputs).where(eq(actionInputs.actionId, actionId));
}
