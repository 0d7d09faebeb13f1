/**
 * Full garbage collections paced by memory growth, for large actions. Staging and running a big file make
 * garbage fast, much of it holding native memory the collector does not see (driver statements and their
 * bound JSON, finalised only when collected): a run measured here grew ~1 MB per 2,000-row slice until the
 * collector happened to run, so a 1M-row upload peaked anywhere from 200 to 280 MB. Collecting whenever the
 * process has grown by GROWTH_BYTES since the last collection bounds the peak without collecting on a
 * schedule when nothing piles up.
 */
const GROWTH_BYTES = 32 * 1024 * 1024;

interface BunRuntime {
  gc(force: boolean): void;
}

const bun = (globalThis as { Bun?: BunRuntime }).Bun;
/** Resident memory, where the runtime tells it cheaply (Bun); elsewhere no pacing at all. */
const residentBytes = bun ? () => process.memoryUsage.rss() : null;

export class CollectionPacer {
  private base = residentBytes?.() ?? 0;

  constructor(private readonly growthBytes = GROWTH_BYTES) {}

  /** Call after each batch of work: collects when memory has grown by `growthBytes` since the last time. */
  check(): void {
    if (!residentBytes || residentBytes() - this.base < this.growthBytes) return;
    this.collect();
  }

  /** At the end of the work: what it left is garbage now; collected at once, it does not add to what follows. */
  settle(): void {
    if (residentBytes && residentBytes() - this.base >= this.growthBytes / 2) this.collect();
  }

  private collect(): void {
    bun?.gc(true);
    this.base = residentBytes?.() ?? 0;
  }
}
