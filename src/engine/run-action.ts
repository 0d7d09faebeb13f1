/**
 * Runs one claimed action in slices. Each slice is one batch (one transaction): the lease guard, the
 * handler's row effects, the report lines, the counters, the checkpoint and (through the trigger) the
 * progress event. A crash between slices loses nothing; a crash inside one rolls it back entirely.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Status } from "../actions/model";
import type { ActionRow } from "../actions/repository";
import { transitionStatements } from "../actions/transitions";
import type { BlobStore } from "../content/blob-store";
import type { Db } from "../db/client";
import { actions } from "../db/schema";
import type { Clock } from "../lib/clock";
import { clearGuard, isGuardViolation, leaseGuard } from "./claim";
import {
  type ActionHandler,
  type EngineContext,
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
  /** A slice ends after this much work time (so progress events come about once a second). */
  sliceMs: number;
  /** Chunks read per query. */
  chunksPerRead: number;
  publicUrl: string;
  reportRetentionMs: number;
  actionTimeoutMs: number;
  onCommit?: () => void;
}

export type RunOutcome = "ended" | "stopped" | "lost";

interface Tally {
  processed: number;
  errors: number;
  warnings: number;
  report: ReportLine[];
  statements: Statement[];
  state: Record<string, unknown> | undefined;
}

export async function runClaimedAction(
  deps: RunDeps,
  claimed: ActionRow,
  shouldStop: () => boolean,
): Promise<RunOutcome> {
  const { db, workerId } = deps;
  let action = claimed;
  const handler = deps.handlers[action.type];
  const ctx = (): EngineContext => ({
    db,
    blobs: deps.blobs,
    now: deps.clock.now(),
    action,
    params: JSON.parse(action.params),
    state: JSON.parse(action.state),
    publicUrl: deps.publicUrl,
  });
  /** Commits effects and then `tail` (whose first statement updates the action) behind the lease guard. */
  const commit = async (effects: Statement[], tail: readonly Statement[]): Promise<ActionRow | null> => {
    try {
      const batch = [leaseGuard(db, action.id, workerId), ...effects, ...tail, clearGuard(db)];
      const results = (await db.batch(batch as never)) as unknown[];
      deps.onCommit?.();
      return (results[1 + effects.length] as ActionRow[])[0] ?? null;
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
      { action, to, set, where: eq(actions.leaseOwner, workerId) },
    );
    const ok = await commit(extra, [...statements, deleteStagedInput(db, action.id)]);
    return ok ? "ended" : "lost";
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
          .where(and(eq(actions.id, action.id), eq(actions.leaseOwner, workerId)))
          .returning(),
      ],
    );
    if (!updated) return "lost";
    action = updated;
  }

  for (;;) {
    if (shouldStop()) return "stopped";
    if (action.startedAt !== null && deps.clock.now() - action.startedAt > deps.actionTimeoutMs) {
      return end("timeout", {
        failureReason: `The action ran longer than the time limit (${Math.round(deps.actionTimeoutMs / 60_000)} min) and was stopped; what was done before is kept.`,
      });
    }
    const sliceStart = performance.now();
    const tally: Tally = {
      processed: 0,
      errors: 0,
      warnings: 0,
      report: [],
      statements: [],
      state: undefined,
    };
    let nextChunk = action.checkpoint;
    let exhausted = false;
    // At least one read per slice, then more while the slice has time left.
    do {
      const chunks = await readChunks(db, action.id, nextChunk, deps.chunksPerRead);
      if (chunks.length === 0) {
        exhausted = true;
        break;
      }
      for (const chunk of chunks) {
        const result = await handler.apply(
          { ...ctx(), state: tally.state ?? JSON.parse(action.state) },
          chunk.items,
        );
        tally.statements.push(...result.statements);
        tally.report.push(...result.report);
        tally.processed += chunk.items.length;
        tally.errors += result.errors;
        tally.warnings += result.warnings;
        if (result.state) tally.state = result.state;
        nextChunk = chunk.chunk + 1;
      }
      // All chunks are staged before an action can be claimed, so a short read means the end.
      if (chunks.length < deps.chunksPerRead) {
        exhausted = true;
        break;
      }
    } while (performance.now() - sliceStart < deps.sliceMs);
    const counters = {
      processed: sql`${actions.processed} + ${tally.processed}`,
      succeeded: sql`${actions.succeeded} + ${tally.processed - tally.errors}`,
      errors: sql`${actions.errors} + ${tally.errors}`,
      warnings: sql`${actions.warnings} + ${tally.warnings}`,
      reportRows: sql`${actions.reportRows} + ${tally.report.length}`,
      checkpoint: nextChunk,
      ...(tally.state ? { state: JSON.stringify(tally.state) } : {}),
    };
    const effects = [
      ...tally.statements,
      ...(tally.report.length ? [reportInsert(db, action.id, tally.report)] : []),
    ];
    if (exhausted) {
      const errors = action.errors + tally.errors;
      const to: Status = errors > 0 ? "completed_with_errors" : "completed";
      const finishing = {
        ...ctx(),
        action: { ...action, errors },
        state: tally.state ?? JSON.parse(action.state),
      };
      const extra = (await handler.finish?.(finishing, to)) ?? [];
      return end(to, counters, [...effects, ...extra]);
    }
    const updated = await commit(effects, [
      db
        .update(actions)
        .set({
          ...counters,
          version: sql`${actions.version} + 1`,
          leaseExpiresAt: deps.clock.now() + deps.leaseMs,
        })
        .where(and(eq(actions.id, action.id), eq(actions.leaseOwner, workerId)))
        .returning(),
    ]);
    if (!updated) return "lost";
    action = updated;
  }
}
