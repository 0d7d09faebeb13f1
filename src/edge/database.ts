/**
 * The database at the edge: the D1 binding `DB` through `drizzle-orm/d1`, or a libSQL server
 * (Turso) through `@libsql/client/web` when `DATABASE_URL` is set. Both are handed out under the shared
 * `Db` type: the code only uses what both drivers have (see src/db/client.ts).
 *
 * Every request to the database is counted against the current invocation (see invocation.ts): D1
 * limits queries per invocation (as subrequests), and each libSQL request is a subrequest too.
 */
import { createClient } from "@libsql/client/web";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql/web";
import type { Db } from "../db/client";
import * as schema from "../db/schema";
import { countQueries } from "./invocation";
import type { D1Database, D1PreparedStatement, D1Result, EdgeEnv } from "./types";

export interface EdgeDatabase {
  db: Db;
  kind: "d1" | "libsql";
}

/**
 * D1 with its calls counted as the platform counts them, one per request to D1: a statement run on
 * its own, or a whole batch. drizzle prepares every statement (batched or not), so each prepare
 * counts one and a batch of n gives back n - 1.
 */
function countedD1(d1: D1Database): D1Database {
  return {
    prepare(query) {
      countQueries();
      return d1.prepare(query);
    },
    batch(statements) {
      countQueries(1 - statements.length);
      return d1.batch(statements);
    },
    exec(query) {
      countQueries();
      return d1.exec(query);
    },
  };
}

/** A libSQL client whose requests are counted (one HTTP request per execute or batch). */
function countedLibsql<T extends object>(client: T): T {
  const counted = new Set(["execute", "batch", "executeMultiple", "migrate"]);
  return new Proxy(client, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      if (!counted.has(String(name))) return value.bind(target);
      return (...args: unknown[]) => {
        countQueries();
        return value.apply(target, args);
      };
    },
  });
}

/** What drizzle's batch needs of a query: its internals, the same ones its own D1 batch uses. */
interface BatchItem {
  _prepare(): {
    stmt?: D1PreparedStatement;
    getQuery(): { sql: string; params: unknown[] };
    mapResult(result: D1Result, isFromBatch: boolean): unknown;
  };
}

/**
 * drizzle-orm's D1 batch fails on raw statements with parameters (`db.run(sql`…${x}`)`): it binds
 * `preparedQuery.stmt`, which a raw statement does not have ("Cannot read properties of undefined
 * (reading 'bind')", drizzle-orm issue #2277, open in 0.45). The engine's slices are such batches
 * (the lease guard, set-based upserts, report lines), so the D1 session's batch is replaced by the same
 * code that prepares raw statements itself. Remove once drizzle fixes it (the edge test will tell).
 */
function fixRawStatementsInBatch(db: unknown, d1: D1Database): void {
  const session = (db as { session?: { batch?: unknown } }).session;
  if (!session || typeof session.batch !== "function") throw new Error("drizzle D1 session not found");
  session.batch = async (queries: BatchItem[]) => {
    const prepared = queries.map((query) => query._prepare());
    const statements = prepared.map((query) => {
      const { sql, params } = query.getQuery();
      return query.stmt && params.length > 0 ? query.stmt.bind(...params) : d1.prepare(sql).bind(...params);
    });
    const results = await d1.batch(statements);
    return results.map((result, i) => prepared[i]!.mapResult(result, true));
  };
}

/**
 * Opens the database the bindings name. `DATABASE_URL` (libsql:, https:, wss:) wins when set;
 * otherwise the D1 binding `DB` is required.
 */
export function openEdgeDatabase(env: EdgeEnv): EdgeDatabase {
  const url = typeof env.DATABASE_URL === "string" ? env.DATABASE_URL.trim() : "";
  if (url) {
    if (url.startsWith("file:")) {
      throw new Error("DATABASE_URL=file: cannot be used at the edge; bind D1 as DB or use a libSQL server.");
    }
    const client = createClient({
      url,
      ...(env.DATABASE_AUTH_TOKEN ? { authToken: env.DATABASE_AUTH_TOKEN } : {}),
      intMode: "number",
    });
    return { db: drizzleLibsql(countedLibsql(client), { schema }) as unknown as Db, kind: "libsql" };
  }
  if (!env.DB) {
    throw new Error("No database: bind a D1 database as DB in wrangler.toml, or set DATABASE_URL.");
  }
  const d1 = countedD1(env.DB);
  const db = drizzleD1(d1 as never, { schema });
  fixRawStatementsInBatch(db, d1);
  return { db: db as unknown as Db, kind: "d1" };
}
