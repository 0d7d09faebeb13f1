/**
 * A portal's feed (the heart of its stream object) on a real libSQL database, outside workerd: what it
 * reads and when. One read of the log's head when it starts following, one read per notification, no
 * replay for a client already at the feed's position, its catch-up alarm asked for while it has streams
 * and cancelled with the last one.
 */
import { describe, expect, test } from "bun:test";
import { insertAction } from "../src/actions/repository";
import type { Database, Db } from "../src/db/client";
import { PortalFeed } from "../src/edge/portal-feed";
import { useMigratedDatabase } from "./support/database";
import { ADA, BOB, EVE } from "./support/env";
import { SseReader } from "./support/sse";

let database: Database;

useMigratedDatabase("tracker-edge-feed-", (d) => {
  database = d;
});

/** The database, with every `select` counted (each is one statement here). */
function counted() {
  const reads = { n: 0 };
  const db = new Proxy(database.db, {
    get(target, name, receiver) {
      if (name === "select" || name === "selectDistinct") reads.n++;
      return Reflect.get(target, name, receiver);
    },
  }) as Db;
  return { db, reads };
}

function feedOn(db: Db, options: { maxStreamsPerPerson?: number } = {}) {
  const alarms: (number | null)[] = [];
  const feed = new PortalFeed({
    db,
    portal: ADA.portal,
    maxStreamsPerPerson: options.maxStreamsPerPerson ?? 20,
    maxDurationMs: 60_000,
    catchUpMs: 30_000,
    scheduleCatchUp: (at) => alarms.push(at),
  });
  return { feed, alarms };
}

const newAction = async (person = ADA) =>
  (await insertAction(database.db, Date.now(), person, { type: "reminder_send", params: {} })).action;

const owner = (person = ADA) => ({ portal: person.portal, sub: person.sub });

describe("PortalFeed", () => {
  test("one head read to start, one read per notification, each event to its owner's streams only", async () => {
    const { db, reads } = counted();
    const { feed, alarms } = feedOn(db);
    const [ada1, ada2, bob] = [ADA, ADA, BOB].map((p) => new SseReader(feed.connect(owner(p), null)));
    for (const reader of [ada1!, ada2!, bob!])
      expect((await reader.next())?.raw).toMatch(/^retry: 2000\nid: \d+/);
    expect(reads.n).toBe(1);
    expect(alarms).toHaveLength(1);

    const mine = await newAction(ADA);
    await newAction(EVE); // another portal: never read by this feed
    await feed.notify();
    expect(reads.n).toBe(2);
    for (const reader of [ada1!, ada2!]) {
      const [frame] = await reader.events(1, 1_000);
      expect(JSON.parse(frame!.data!).referenceId).toBe(mine.referenceId);
    }
    const bobs = await newAction(BOB);
    await feed.notify();
    const [first] = await bob!.events(1, 1_000);
    expect(JSON.parse(first!.data!).referenceId).toBe(bobs.referenceId);

    for (const reader of [ada1!, ada2!, bob!]) await reader.cancel();
    expect(feed.streamCount).toBe(0);
    expect(alarms.at(-1)).toBeNull();
    await feed.notify();
    expect(reads.n).toBe(3); // nobody is watching: a notification reads nothing
  });

  test("Last-Event-ID at the feed's position needs no replay; an older one is replayed once", async () => {
    const { db, reads } = counted();
    const { feed } = feedOn(db);
    const fresh = new SseReader(feed.connect(owner(), null));
    const position = Number((await fresh.next())!.raw.match(/id: (\d+)/)![1]);
    const before = reads.n;
    const atPosition = new SseReader(feed.connect(owner(), position));
    expect((await atPosition.next())?.raw).toBe("retry: 2000\n: connected");
    expect(reads.n).toBe(before);

    const behind = new SseReader(feed.connect(owner(), 0));
    await behind.next();
    const replayed = await behind.events(1, 1_000);
    expect(replayed).toHaveLength(1);
    expect(reads.n).toBe(before + 1);
    for (const reader of [fresh, atPosition, behind]) await reader.cancel();
  });

  test("over the per-person limit: 429, problem+json, Retry-After", async () => {
    const { feed } = feedOn(counted().db, { maxStreamsPerPerson: 1 });
    const first = new SseReader(feed.connect(owner(), null));
    await first.next();
    const refused = feed.connect(owner(), null);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("10");
    const bob = feed.connect(owner(BOB), null);
    expect(bob.status).toBe(200);
    await bob.body?.cancel();
    await first.cancel();
    expect(feed.streamCount).toBe(0);
  });
});
