/**
 * The libSQL database for Bun: an embedded SQLite file by default, or a libSQL server (Turso).
 * Every connection gets a busy timeout so several processes can share one file.
 */
import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { nonBlockingClient } from "./busy";
import * as schema from "./schema";

/**
 * The Drizzle database every module takes. D1 (the edge) is handed in under the same type:
 * code must only use what both drivers share (select/insert/update/delete, `batch`, `all`, `get`, `run`)
 * and must not read driver-specific results such as `rowsAffected`; use `.returning()` instead.
 */
export type Db = LibSQLDatabase<typeof schema>;

export interface Database {
  db: Db;
  client: Client;
  close(): void;
}

export interface DatabaseOptions {
  url: string;
  authToken?: string | undefined;
  /** Busy timeout for `file:` databases, in milliseconds. */
  busyTimeoutMs?: number;
  /** For a `file:` database: wait for the write lock asynchronously instead (see busy.ts). */
  nonBlocking?: boolean;
}

export function createDatabase(options: DatabaseOptions): Database {
  const open = (timeout: number) =>
    createClient({ url: options.url, authToken: options.authToken, timeout, intMode: "number" });
  const client =
    options.nonBlocking && options.url.startsWith("file:")
      ? nonBlockingClient(() => open(0))
      : open(options.busyTimeoutMs ?? 10_000);
  const db = drizzle(client, { schema });
  return { db, client, close: () => client.close() };
}
