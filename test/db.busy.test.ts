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

  // Another connection (think: a worker's slice) holds the write lock for about 200 ms.
  const held = await holder.client.transaction("write");
  await held.execute("INSERT INTO probe (n) VALUES (1)");
  const started = performance.now();
  const write = api.db.batch([api.db.run(sql`INSERT INTO probe (n) VALUES (2)`)]);
  const single = api.db.run(sql`INSERT INTO probe (n) VALUES (3)`);
  // The event loop keeps running while the writes wait: timers fire on time.
  const lags: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await Bun.sleep(20);
    lags.push(performance.now() - t - 20);
  }
  await held.commit();
  await Promise.all([write, single]);
  expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  expect(Math.max(...lags)).toBeLessThan(50);
  const rows = await api.db.all<{ n: number }>(sql`SELECT n FROM probe ORDER BY n`);
  expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);

  const started2 = performance.now();
  await expect(Promise.resolve(api.db.run(sql`INSERT INTO missing_table VALUES (1)`))).rejects.toThrow(
    /Failed query: INSERT INTO missing_table/,
  );
  expect(performance.now() - started2).toBeLessThan(100);
  api.close();
  holder.close();
});
