/** An api's database waits for another connection's write lock without blocking the event loop. */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { tempDir } from "./support/env";

const dir = tempDir("busy-");
afterAll(() => dir.cleanup());

test("a write waits for the lock asynchronously, then commits; other errors still throw at once", async () => {
  const url = `file:${join(dir.path, "busy.db")}`;
  const holder = createDatabase({ url });
  await migrateDatabase(holder, url);
  await holder.db.run(sql`CREATE TABLE IF NOT EXISTS probe (n INTEGER)`);
  const api = createDatabase({ url, nonBlocking: true });

  // Another connection (think: a worker's slice) holds the write lock until this test lets it go.
  const held = await holder.client.transaction("write");
  await held.execute("INSERT INTO probe (n) VALUES (1)");
  // Drizzle's queries are lazy thenables that run again on every `then`: each is started exactly once here.
  const write = Promise.resolve(api.db.batch([api.db.run(sql`INSERT INTO probe (n) VALUES (2)`)]));
  const single = Promise.resolve(api.db.run(sql`INSERT INTO probe (n) VALUES (3)`));
  let settled = 0;
  for (const pending of [write, single])
    pending.then(
      () => settled++,
      () => settled++,
    );
  // The event loop keeps running while the writes wait: timers fire, and the writes are still waiting
  // (a connection that slept in SQLite's busy handler would hold the loop, and the lock, until it gave up).
  let ticks = 0;
  for (let i = 0; i < 10; i++) {
    await Bun.sleep(20);
    ticks++;
  }
  expect({ ticks, settled }).toEqual({ ticks: 10, settled: 0 });
  // Other errors are not waited on: a missing table fails while the lock is still held.
  await expect(Promise.resolve(api.db.run(sql`INSERT INTO missing_table VALUES (1)`))).rejects.toThrow(
    /Failed query: INSERT INTO missing_table/,
  );
  expect(settled).toBe(0);
  await held.commit();
  await Promise.all([write, single]);
  const rows = await api.db.all<{ n: number }>(sql`SELECT n FROM probe ORDER BY n`);
  expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
  api.close();
  holder.close();
});
