/**
 * Full garbage collections paced by work done, for large actions. Staging and running a big file make
 * garbage fast, some of it holding native memory the collector does not see (driver statements and
 * results), so the heap grows with the file before a collection comes. Collecting every so many rows
 * keeps peak memory near the steady state, at a few tens of milliseconds per 100,000 rows.
 */
export const COLLECT_EVERY_ROWS = 100_000;

/** A full collection where the runtime offers one (Bun); elsewhere nothing. */
function collectGarbage(): void {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}

export class CollectionPacer {
  private since = 0;

  constructor(private readonly everyRows = COLLECT_EVERY_ROWS) {}

  /** Counts rows done; collects once `everyRows` have passed since the last collection. */
  done(rows: number): void {
    this.since += rows;
    if (this.since >= this.everyRows) this.collect();
  }

  /** At the end of the work: collects when at least half a period's garbage is left. */
  settle(): void {
    if (this.since >= this.everyRows / 2) this.collect();
  }

  private collect(): void {
    this.since = 0;
    collectGarbage();
  }
}
