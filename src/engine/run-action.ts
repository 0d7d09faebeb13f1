/**
 * Runs one claimed action in slices. Each slice is one batch (one transaction): the lease guard, the
 * handler's row effects, the report lines, the counters, the checkpoint and (through the trigger) the
 * progress event. A crash between slices loses nothing; a crash inside one rolls it back entirely.
 *
 * A dry run is the same run with the row effects left out: every item is judged by the same `apply`
 * against the portal's data as it is, the report is written, and nothing else (nor the statements of
 * `finish`, such as a series' next occurrence, nor a blob put, such as a package's permanent copy). Other
 * work outside statements (a rule stored on its group) is skipped by the handler itself (see isDryRun).
 */
import { and, eq, sql } from "drizzle-orm";
import type { Status } from "../actions/model";
import type { ActionRow } from "../actions/repository";
import { transitionStatements } from "../actions/transitions";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import { actions } from "../db/schema";
import type { Clock } from "../lib/clock";
import { CollectionPacer } from "../lib/gc";
import { yieldToEventLoop } from "../lib/yield";
import { clearGuard, isGuardViolation, leaseGuard } from "./claim";
import { timeoutReason } from "./clocks";
import {
  type ActionHandler,
  type EngineContext,
  type HandlerSettings,
  isDryRun,
  type ReportLine,
  type Statement,
  WholeActionError,
} from "./handler";
import { reportInsert } from "./report-insert";
import { ChunkStager, deleteStagedInput, readChunks } from "./staging";

export interface RunDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  handlers: Partial<Record<string, ActionHandler>>;
  workerId: string;
  leaseMs: number;
  /**
   * Visible progress (counters, version, event) moves at most this often; slices commit more often,
   * each with its checkpoint, so a crash loses nothing and write locks stay short.
   */
  publishEveryMs: number;
  /** Chunks of staged input (500 items each) per slice. */
  chunksPerRead: number;
  publicUrl: string;
  reportRetentionMs: number;
  actionTimeoutMs: number;
  /** What handlers read from the configuration (reminder limits, per-portal mail rate). */
  settings: HandlerSettings;
  /** Told of each committed claim and slice, with the action as it is now (its version, its portal). */
  onCommit?: (action: ActionRow) => void;
  /** Told of each slice (its action type and seconds) and each status change this worker makes. */
  observe?: EngineObserver;
}

export interface EngineObserver {
  slice(type: string, seconds: number): void;
  transition(action: ActionRow): void;
}

export type RunOutcome = "ended" | "stopped" | "lost";

export async function runClaimedAction(
  deps: RunDeps,
  claimed: ActionRow,
  shouldStop: () => boolean,
): Promise<RunOutcome> {
  const { db } = deps;
  // The claim's fencing token (see claim.ts): every commit of this run is conditional on it.
  const fence = claimed.leaseOwner ?? deps.workerId;
  let action = claimed;
  const handler = deps.handlers[action.type];
  const params = JSON.parse(action.params) as Record<string, unknown>; // fixed for the action's life
  const dryRun = isDryRun({ action });
  const blobs = dryRun ? withoutWrites(deps.blobs) : deps.blobs;
  const ctx = (state: Record<string, unknown> = JSON.parse(action.state)): EngineContext => ({
    db,
    blobs,
    now: deps.clock.now(),
    action,
    params,
    state,
    publicUrl: deps.publicUrl,
    settings: deps.settings,
  });
  /** Commits effects and then `tail` (whose first statement updates the action) behind the lease guard. */
  const commit = async (effects: Statement[], tail: readonly Statement[]): Promise<ActionRow | null> => {
    try {
      const batch = [leaseGuard(db, action.id, fence), ...effects, ...tail, clearGuard(db)];
      const results = (await db.batch(batch as never)) as unknown[];
      const row = (results[1 + effects.length] as ActionRow[])[0] ?? null;
      deps.onCommit?.(row ?? action);
      return row;
    } catch (error) {
      if (isGuardViolation(error)) return null;
      throw error;
    }
  };
  const end = async (
    to: Status,
    set: Record<string, unknown> = {},
    extra: Statement[] = [],
  ): Promise<RunOutcome> => {
    const statements = transitionStatements(
      db,
      { now: deps.clock.now(), reportRetentionMs: deps.reportRetentionMs, publicUrl: deps.publicUrl },
      { action, to, by: to === "timeout" ? "clock" : "worker", set, where: eq(actions.leaseOwner, fence) },
    );
    const ended = await commit(extra, [...statements, deleteStagedInput(db, action.id)]);
    if (ended) deps.observe?.transition(ended);
    return ended ? "ended" : "lost";
  };

  if (!handler) return end("failed", { failureReason: `The action type ${action.type} is not supported.` });

  const state = JSON.parse(action.state) as Record<string, unknown>;
  if (handler.prepare && !state.prepared) {
    const stager = new ChunkStager(db, action.id);
    try {
      await deleteStagedInput(db, action.id);
      await handler.prepare(ctx(), stager);
      await stager.flush();
    } catch (error) {
      if (error instanceof WholeActionError) return end("failed", { failureReason: error.message });
      throw error;
    }
    const updated = await commit(
      [],
      [
        db
          .update(actions)
          .set({
            total: stager.count,
            state: JSON.stringify({ ...state, prepared: true }),
            version: sql`${actions.version} + 1`,
            leaseExpiresAt: deps.clock.now() + deps.leaseMs,
          })
          .where(and(eq(actions.id, action.id), eq(actions.leaseOwner, fence)))
          .returning(),
      ],
    );
    if (!updated) return "lost";
    action = updated;
  }

  // Counters committed but not shown yet (see `unpublished` in the schema), and when we last showed them.
  let pending: Counts = { ...ZERO, ...(action.unpublished ? JSON.parse(action.unpublished) : {}) };
  let publishedAt = performance.now();
  const pacer = new CollectionPacer();
  for (;;) {
    if (shouldStop()) return "stopped";
    if (action.startedAt !== null && deps.clock.now() - action.startedAt > deps.actionTimeoutMs) {
      return end("timeout", {
        failureReason: timeoutReason(deps.actionTimeoutMs),
        ...publish(pending),
      });
    }
    // One slice: one read of staged chunks, applied and committed together (short write locks).
    await yieldToEventLoop();
    const sliceStarted = performance.now();
    const chunks = await readChunks(db, action.id, action.checkpoint, deps.chunksPerRead);
    const tally: Counts = { ...ZERO };
    const statements: Statement[] = [];
    const report: ReportLine[] = [];
    let state: Record<string, unknown> | undefined;
    for (const chunk of chunks) {
      const result = await handler.apply(ctx(state), chunk.items);
      if (!dryRun) statements.push(...result.statements);
      report.push(...result.report);
      tally.processed += chunk.items.length;
      tally.succeeded += chunk.items.length - result.errors;
      tally.errors += result.errors;
      tally.warnings += result.warnings;
      tally.reportRows += result.report.length;
      if (result.state) state = result.state;
    }
    if (report.length) statements.push(reportInsert(db, action.id, report));
    pending = add(pending, tally);
    const progress = {
      checkpoint: chunks.length ? chunks[chunks.length - 1]!.chunk + 1 : action.checkpoint,
      ...(state ? { state: JSON.stringify(state) } : {}),
    };
    // All chunks are staged before an action can be claimed, so a short read means the end.
    if (chunks.length < deps.chunksPerRead) {
      const errors = action.errors + pending.errors;
      const to: Status = errors > 0 ? "completed_with_errors" : "completed";
      const finishing = { ...ctx(state), action: { ...action, errors } };
      const extra = dryRun ? [] : ((await handler.finish?.(finishing, to)) ?? []);
      const outcome = await end(to, { ...progress, ...publish(pending) }, [...statements, ...extra]);
      if (outcome === "ended") await handler.afterEnd?.(finishing, to);
      deps.observe?.slice(action.type, (performance.now() - sliceStarted) / 1000);
      return outcome;
    }
    const show = performance.now() - publishedAt >= deps.publishEveryMs;
    const updated = await commit(statements, [
      db
        .update(actions)
        .set({
          ...progress,
          ...(show
            ? { ...publish(pending), version: sql`${actions.version} + 1` }
            : { unpublished: JSON.stringify(pending) }),
          leaseExpiresAt: deps.clock.now() + deps.leaseMs,
        })
        .where(and(eq(actions.id, action.id), eq(actions.leaseOwner, fence)))
        .returning(),
    ]);
    if (!updated) return "lost";
    action = updated;
    deps.observe?.slice(action.type, (performance.now() - sliceStarted) / 1000);
    pacer.check();
    if (show) {
      pending = { ...ZERO };
      publishedAt = performance.now();
    }
  }
}

interface Counts {
  processed: number;
  succeeded: number;
  errors: number;
  warnings: number;
  reportRows: number;
}

const ZERO: Counts = { processed: 0, succeeded: 0, errors: 0, warnings: 0, reportRows: 0 };

const add = (a: Counts, b: Counts): Counts => ({
  processed: a.processed + b.processed,
  succeeded: a.succeeded + b.succeeded,
  errors: a.errors + b.errors,
  warnings: a.warnings + b.warnings,
  reportRows: a.reportRows + b.reportRows,
});

/** Moves committed-but-unshown counts into the visible counters. */
function publish(pending: Counts) {
  return {
    processed: sql`${actions.processed} + ${pending.processed}`,
    succeeded: sql`${actions.succeeded} + ${pending.succeeded}`,
    errors: sql`${actions.errors} + ${pending.errors}`,
    warnings: sql`${actions.warnings} + ${pending.warnings}`,
    reportRows: sql`${actions.reportRows} + ${pending.reportRows}`,
    unpublished: null,
  };
}

/** A dry run's blob store: reads and clean-up as usual, while puts are left out like the statements. */
function withoutWrites(blobs: BlobStore): BlobStore {
  return {
    get: (key) => blobs.get(key),
    delete: (key) => blobs.delete(key),
    put: async () => {},
  };
}
