/**
 * Applies the drizzle-kit migrations in `migrations/`, the same way at start-up and in tests.
 * WAL is set here, once: it is a property of the file, so every later connection inherits it.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Database } from "./client";

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations");

/** Creates the folder of a `file:` URL so the embedded database can be created on first start. */
export function ensureDatabaseFolder(url: string): void {
  if (!url.startsWith("file:")) return;
  const path = url.slice("file:".length).split("?")[0] ?? "";
  if (path && path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
}

export async function migrateDatabase(database: Database, url: string): Promise<void> {
  if (url.startsWith("file:")) {
    await database.client.execute("PRAGMA journal_mode = WAL");
  }
  try {
    await migrate(database.db, { migrationsFolder });
  } catch (error) {
    // Two processes starting together may race to apply the same migration: the loser re-checks once.
    await new Promise((r) => setTimeout(r, 200));
    await migrate(database.db, { migrationsFolder }).catch(() => {
      throw error;
    });
  }
}
