/**
 * The live feed of one portal, held by that portal's stream object (see portal-streams.ts): its open
 * streams, grouped by person in an EventHub, and its position in the event log.
 *
 * While it has streams, the feed follows the log from a position read once (the log's head) and reads
 * the portal's new events only when told that something changed (`notify`, sent by the code that
 * committed it) or on its catch-up schedule (the object's alarm), which finds what a lost notification
 * left behind. An idle stream therefore costs no reads at all: a heartbeat comment every 10 s, from one
 * timer for all of them. When its last stream closes the feed stops following; the next one reads the
 * head again.
 */
import type { Db } from "../db/client";
import { EventHub } from "../events/hub";
import { latestEventId, readPortalEventsAfter } from "../events/log";
import { HEARTBEAT_MS } from "../events/stream";
import { problemResponse } from "../http/problem";
import { tooManyStreams } from "../http/routes/events";
import { EdgeStream, type Owner } from "./edge-stream";

const READ_BATCH = 500;
/** A portal's feed remembers few actions (the hub's cache is for polls, which the edge answers from D1). */
const CACHED_ACTIONS = 1_000;

export interface PortalFeedOptions {
  db: Db;
  portal: string;
  maxStreamsPerPerson: number;
  /** A stream ends itself after this long (the client reconnects with Last-Event-ID). */
  maxDurationMs: number;
  /** How often the feed reads the log on its own while it has streams. */
  catchUpMs: number;
  /** Asks for `catchUp()` at this time (the object's alarm), or for none (null). */
  scheduleCatchUp(at: number | null): void;
  heartbeatMs?: number;
  retryMs?: number;
}

export class PortalFeed {
  readonly hub = new EventHub(CACHED_ACTIONS);
  readonly db: Db;
  /** Every event after it is published to the streams; null while the feed does not follow the log. */
  private cursor: number | null = null;
  /** Grows each time the feed stops following, so a read begun before does not move the new cursor. */
  private generation = 0;
  private head: Promise<number> | null = null;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: PortalFeedOptions) {
    this.db = options.db;
  }

  get portal(): string {
    return this.options.portal;
  }

  get streamCount(): number {
    return this.hub.subscriberCount;
  }

  /** Opens a stream for `owner` (of this portal), or answers 429 over the per-person limit. */
  connect(owner: Owner, lastEventId: number | null): Response {
    const { maxStreamsPerPerson, maxDurationMs } = this.options;
    if (this.hub.countOf(owner) >= maxStreamsPerPerson) {
      return problemResponse(tooManyStreams(maxStreamsPerPerson));
    }
    const first = this.hub.subscriberCount === 0;
    const stream = new EdgeStream(
      this,
      owner,
      lastEventId,
      Date.now() + maxDurationMs,
      this.options.retryMs ?? 2000,
    );
    const response = stream.response();
    if (first && this.hub.subscriberCount > 0) this.start();
    return response;
  }

  /**
   * The position the feed publishes from: known while it follows the log, else read once (one read
   * serves every stream that connects meanwhile).
   */
  position(): Promise<number> {
    if (this.cursor !== null) return Promise.resolve(this.cursor);
    if (this.head) return this.head;
    const generation = this.generation;
    const head = latestEventId(this.db).then((id) => {
      if (generation !== this.generation) return id;
      this.cursor = Math.max(this.cursor ?? 0, id);
      return this.cursor;
    });
    this.head = head;
    const forget = () => {
      if (this.head === head) this.head = null;
    };
    head.then(forget, forget);
    return head;
  }

  /** Something was committed in this portal: publish the new events (one read, shared by close calls). */
  notify(): Promise<void> {
    return this.pump();
  }

  /** The alarm: read the log for what a lost notification would have brought, and come back later. */
  async catchUp(): Promise<void> {
    try {
      await this.pump();
    } finally {
      if (this.hub.subscriberCount > 0) this.options.scheduleCatchUp(Date.now() + this.options.catchUpMs);
    }
  }

  /** Called by a stream as it ends. */
  closed(stream: EdgeStream): void {
    this.hub.unsubscribe(stream.owner, stream);
    if (this.hub.subscriberCount > 0) return;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.cursor = null;
    this.generation++;
    this.options.scheduleCatchUp(null);
  }

  private start(): void {
    const { heartbeatMs = HEARTBEAT_MS, maxDurationMs } = this.options;
    // Short streams (tests, Free plans) are ended by the same tick, so it comes at least 4 times a stream.
    const tick = Math.max(50, Math.min(heartbeatMs, Math.floor(maxDurationMs / 4)));
    this.ticker = setInterval(() => this.hub.pingAll(), tick);
    this.options.scheduleCatchUp(Date.now() + this.options.catchUpMs);
  }

  /** Reads and publishes everything after the cursor; a call during a read makes it read once more. */
  private pump(): Promise<void> {
    if (this.hub.subscriberCount === 0) return Promise.resolve();
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    const run = async () => {
      do {
        this.pumpAgain = false;
        if (this.hub.subscriberCount === 0) return;
        const generation = this.generation;
        let from = await this.position();
        for (;;) {
          const events = await readPortalEventsAfter(this.db, this.portal, from, READ_BATCH);
          if (generation !== this.generation) {
            // The feed stopped and started again meanwhile: read anew from its new position.
            this.pumpAgain = true;
            break;
          }
          if (events.length > 0) {
            from = events[events.length - 1]!.id;
            this.cursor = Math.max(this.cursor ?? 0, from);
            this.hub.publish(events);
          }
          if (events.length < READ_BATCH) break;
        }
      } while (this.pumpAgain);
    };
    const pumping = run().finally(() => {
      this.pumping = null;
    });
    this.pumping = pumping;
    return pumping;
  }
}
