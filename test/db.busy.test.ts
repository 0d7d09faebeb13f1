/** Staging writes wait for another connection's write lock without blocking the event loop. */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { NonBlockingWriter } from "../src/db/busy";
import { createDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { tempDir } from "./support/env";

const dir = tempDir("busy-");
afterAll(() => dir.cleanup());

test("a batch waits for the lock asynchronously, then commits; other errors and the deadline still throw", async () => {
  const url = `file:${join(dir.path, "busy.db")}`;
  const holder = createDatabase({ url });
  await migrateDatabase(holder, url);
  await holder.db.run(sql`CREATE TABLE IF NOT EXISTS probe (n INTEGER)`);
  const writer = new NonBlockingWriter(() => createDatabase({ url, busyTimeoutMs: 0 }), 5_000);

  // Another connection (think: a worker's slice) holds the write lock for 300 ms.
  const held = await holder.client.transaction("write");
  await held.execute("INSERT INTO probe (n) VALUES (1)");
  const started = performance.now();
  const write = writer.batch((db) => [db.run(sql`INSERT INTO probe (n) VALUES (2)`)]);
  // The event loop keeps running while the write waits: timers fire on time.
  const lags: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await Bun.sleep(20);
    lags.push(performance.now() - t - 20);
  }
  await held.commit();
  await write;
  expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  expect(Math.max(...lags)).toBeLessThan(50);
  const rows = await holder.db.all<{ n: number }>(sql`SELECT n FROM probe ORDER BY n`);
  expect(rows.map((r) => r.n)).toEqual([1, 2]);

  await expect(writer.batch((db) => [db.run(sql`INSERT INTO missing_table VALUES (1)`)])).rejects.toThrow(
    /no such table/,
  );
  const impatient = new NonBlockingWriter(() => createDatabase({ url, busyTimeoutMs: 0 }), 100);
  const again = await holder.client.transaction("write");
  await again.execute("INSERT INTO probe (n) VALUES (3)");
  await expect(impatient.batch((db) => [db.run(sql`INSERT INTO probe (n) VALUES (4)`)])).rejects.toThrow(
    /SQLITE_BUSY/,
  );
  await again.rollback();
  impatient.close();
  writer.close();
  holder.close();
});
