/**
 * A libSQL client for an embedded file that never sleeps on SQLite's write lock on the calling thread.
 * The embedded driver is synchronous: with a busy timeout, a write made while another process commits
 * sleeps on the main thread, and every request of an api process waits with it (polls measured at
 * p99 430 ms, max 1.1 s, while an api staged uploads beside a busy worker; p99 26 ms with this).
 *
 * Connections here have no busy timeout, so a write that meets the lock fails at once with SQLITE_BUSY;
 * the call is retried after an asynchronous pause, on a fresh connection: @libsql/client leaves the
 * failed statement un-reset until it is garbage-collected, and its stale read snapshot makes every later
 * write on that connection fail too (measured: 2 of 1,867 retries succeeded on the same connection, 482
 * of 1,692 on a fresh one). Every call is one statement or one batch, so a failed one changed nothing
 * and may simply run again.
 */
import type { Client, TransactionMode } from "@libsql/client";

export function isBusy(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === "SQLITE_BUSY" || e?.cause?.code === "SQLITE_BUSY";
}

export function nonBlockingClient(open: () => Client, giveUpAfterMs = 30_000): Client {
  let current = open();
  const retried = async <T>(call: (client: Client) => Promise<T>): Promise<T> => {
    const deadline = performance.now() + giveUpAfterMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 8)) {
      try {
        return await call(current);
      } catch (error) {
        if (!isBusy(error) || performance.now() > deadline) throw error;
        current.close();
        current = open();
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  };
  return {
    execute: ((statement: Parameters<Client["execute"]>[0], args?: Parameters<Client["execute"]>[1]) =>
      retried((client) => client.execute(statement as never, args))) as Client["execute"],
    batch: (statements, mode) => retried((client) => client.batch(statements, mode)),
    migrate: (statements) => retried((client) => client.migrate(statements)),
    // Interactive transactions and scripts are not retried (nothing here uses them on an api's hot path).
    transaction: (mode?: TransactionMode) => current.transaction(mode),
    executeMultiple: (sql) => current.executeMultiple(sql),
    sync: () => current.sync(),
    reconnect: () => current.reconnect(),
    close: () => current.close(),
    get closed() {
      return current.closed;
    },
    get protocol() {
      return current.protocol;
    },
  };
}
