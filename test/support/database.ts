/** A migrated database file in a temp folder for the tests of one file that need no server around it. */
import { afterAll, beforeAll } from "bun:test";
import { join } from "node:path";
import { createDatabase, type Database } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import { tempDir } from "./env";

/** Opened and migrated before the file's tests, closed and removed after them; `ready` receives it. */
export function useMigratedDatabase(prefix: string, ready: (database: Database) => void): void {
  const dir = tempDir(prefix);
  let database: Database | undefined;
  beforeAll(async () => {
    const url = `file:${join(dir.path, "tracker.db")}`;
    database = createDatabase({ url });
    await migrateDatabase(database, url);
    ready(database);
  });
  afterAll(() => {
    database?.close();
    dir.cleanup();
  });
}
