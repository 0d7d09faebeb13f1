/**
 * What an action type plugs into the engine. The engine owns claiming, slicing, checkpoints, counters,
 * report rows, events and the final status; a handler only says how to stage its input and how to
 * apply a batch of items, returning statements that the engine commits together with the checkpoint.
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { FieldProblem } from "../actions/errors";
import type { Principal } from "../actions/principal";
import type { ActionRow } from "../actions/repository";
import type { Config } from "../config";
import type { BlobStore } from "../content/blob-store";
import type { CsvShape } from "../csv/dialect";
import type { Db } from "../db/client";
import type { Submission } from "./submission";

export type Statement = BatchItem<"sqlite">;

/** One line of the error report. */
export interface ReportLine {
  row: number;
  status: "Error" | "Warning";
  identifier: string;
  issue: string;
  resolution: string;
  /** An Error row's record as uploaded (CSV uploads), kept for the failed rows to fix. */
  raw?: string;
}

/** A staged item and its position (0-based) in the action's input. */
export interface StagedItem<T = unknown> {
  position: number;
  item: T;
}

/** Configuration that handlers read: the limits of reminder series and the per-portal mail rate. */
export type HandlerSettings = Pick<Config, "reminderMinIntervalMs" | "reminderSeriesMax" | "mailPortalRate">;

/** What a submission check may know besides the request: the time and the settings. */
export interface SubmissionContext {
  now: number;
  settings: HandlerSettings;
}

export interface EngineContext {
  db: Db;
  blobs: BlobStore;
  now: number;
  action: ActionRow;
  params: Record<string, unknown>;
  /** Handler state saved with the previous slice (survives a crash). */
  state: Record<string, unknown>;
  publicUrl: string;
  settings: HandlerSettings;
}

export interface ApplyResult {
  /** Row effects, committed in the same transaction as the checkpoint. */
  statements: Statement[];
  /** Report lines for the items with an Error or a Warning. */
  report: ReportLine[];
  /** Items that had an Error (skipped). The others count as succeeded. */
  errors: number;
  /** Items imported with a Warning. */
  warnings: number;
  /** New handler state to save with this slice. */
  state?: Record<string, unknown>;
}

/**
 * A dry run: the engine leaves out the statements `apply` and `finish` return and the blobs they put; a
 * handler that changes anything else (a rule stored when the action starts) asks this first.
 */
export const isDryRun = (ctx: { action: Pick<ActionRow, "dryRun"> }) => ctx.action.dryRun === 1;

/** Raised while staging or running when the input as a whole is unusable: the action ends `failed`. */
export class WholeActionError extends Error {}

export interface IntakeContext {
  db: Db;
  blobs: BlobStore;
  now: number;
  actionId: number;
  maxRows: number;
  maxFileBytes: number;
}

export interface ActionHandler {
  /** Checks that need the database at submission time (unknown group or course): answered with 422. */
  checkSubmission?(
    db: Db,
    who: Principal,
    params: Record<string, unknown>,
    context: SubmissionContext,
  ): Promise<FieldProblem[]>;
  /**
   * Stages the uploaded files as items (file types). Throws WholeActionError for an unusable file. A CSV
   * upload answers its shape (dialect and header row), kept to give its failed rows back as uploaded.
   */
  stageFiles?(ctx: IntakeContext, submission: Submission, stage: Stager): Promise<CsvShape | undefined>;
  /** Stages items from the database when the action starts (group actions, rules, reminders). */
  prepare?(ctx: EngineContext, stage: Stager): Promise<void>;
  /** Applies one batch of items, in position order. */
  apply(ctx: EngineContext, items: StagedItem[]): Promise<ApplyResult>;
  /** Statements for the batch that ends the action (e.g. the next occurrence of a series). */
  finish?(ctx: EngineContext, status: string): Promise<Statement[]>;
  /**
   * Clean-up once the end is committed (uploaded files no longer needed). Never before the end: a crash
   * in between must not lose input the next worker needs; a crash after it only leaves garbage.
   */
  afterEnd?(ctx: Omit<EngineContext, "settings">, status: string): Promise<void>;
}

/** Appends items to an action's staged input, in chunks. */
export interface Stager {
  add(item: unknown): Promise<void>;
  /** Items staged so far. */
  readonly count: number;
}
