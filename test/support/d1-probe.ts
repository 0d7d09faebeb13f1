/**
 * A wrapping binding for D1 (Miniflare's `wrappedBindings`): the worker's `DB` is this module's object
 * around the real database, so every statement the worker, its Durable Objects and its queue consumer
 * send is seen. It can print one line per statement (`d1-probe <how> <sql>`, counted by the bench and
 * tests), and fail one engine slice commit the way a lost connection does: after D1 committed it, the
 * caller gets D1's "Network connection lost" error (the worst moment: the work is done, the worker does
 * not know). The module runs inside workerd, in the worker's isolate; this file only holds its source.
 */

export interface ProbeOptions {
  /** Print a `d1-probe` line per statement executed (a batch prints one per statement in it). */
  log?: boolean;
  /** The nth engine slice commit (a batch led by the lease guard) fails after committing. */
  failSliceCommit?: number;
}

export const PROBE_WORKER = "d1-probe";
/** The real database's binding inside the probe. */
export const PROBED_BINDING = "PROBED";

export const PROBE_MODULE = `
let sliceCommits = 0;
let failed = false;
const LEASE_GUARD = /^INSERT INTO "slice_guard"/;

class Statement {
  constructor(inner, sql, log) {
    this.inner = inner;
    this.sql = sql;
    this.log = log;
  }
  bind(...values) { return new Statement(this.inner.bind(...values), this.sql, this.log); }
  first(column) { this.log("first", this.sql); return this.inner.first(column); }
  run() { this.log("run", this.sql); return this.inner.run(); }
  all() { this.log("all", this.sql); return this.inner.all(); }
  raw(options) { this.log("raw", this.sql); return this.inner.raw(options); }
}

export default function (env) {
  const db = env.${PROBED_BINDING};
  const failAt = Number(env.FAIL_SLICE_COMMIT ?? 0);
  const log = env.LOG
    ? (how, sql) => console.log("d1-probe " + how + " " + String(sql).replace(/\\s+/g, " ").slice(0, 80))
    : () => {};
  return {
    prepare(sql) { return new Statement(db.prepare(sql), sql, log); },
    async batch(statements) {
      for (const statement of statements) log("batch", statement.sql);
      const results = await db.batch(statements.map((statement) => statement.inner));
      if (statements.length > 0 && LEASE_GUARD.test(statements[0].sql)) {
        sliceCommits++;
        if (failAt > 0 && sliceCommits === failAt && !failed) {
          failed = true;
          console.log("d1-probe fault after slice commit " + sliceCommits);
          throw new Error("D1_ERROR: Network connection lost.");
        }
      }
      return results;
    },
    exec(sql) { log("exec", sql); return db.exec(sql); },
  };
}
`;

/** The probe's lines in a worker's log (statements executed since the log began). */
export const probeLines = (logs: readonly string[]) => logs.filter((line) => line.startsWith("d1-probe "));
