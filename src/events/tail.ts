/**
 * Follows the event log and publishes new rows to the hub. The log is the only channel between
 * processes: whichever process wrote an event, every process's streams see it within one poll.
 */
import type { Db } from "../db/client";
import type { EventHub } from "./hub";
import { latestEventId, readEventsAfter } from "./log";

export class EventTail {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private polling: Promise<void> | null = null;
  private started = false;

  constructor(
    private readonly db: Db,
    private readonly hub: EventHub,
    private readonly intervalMs = 100,
  ) {}

  /** Starts after the newest event: history is served by replays, not by the tail. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.hub.lastPublishedId = Math.max(this.hub.lastPublishedId, await latestEventId(this.db));
    this.running = true;
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Polls now (a local write just happened) instead of at the next tick. */
  poke(): void {
    if (!this.running || this.polling) return;
    this.schedule(0);
  }

  /** Reads and publishes everything new; tests call it directly. */
  async pollOnce(): Promise<number> {
    if (this.polling) {
      await this.polling;
    }
    let published = 0;
    const run = async () => {
      for (;;) {
        const events = await readEventsAfter(this.db, this.hub.lastPublishedId, 1_000);
        if (events.length === 0) return;
        this.hub.publish(events);
        published += events.length;
        if (events.length < 1_000) return;
      }
    };
    this.polling = run().finally(() => {
      this.polling = null;
    });
    await this.polling;
    return published;
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      this.timer = null;
      try {
        await this.pollOnce();
      } catch (error) {
        console.error(
          JSON.stringify({ level: "error", msg: "event tail poll failed", error: String(error) }),
        );
      }
      if (this.running && !this.timer) this.schedule(this.intervalMs);
    }, delay);
  }
}
