/**
 * A worker: claims actions and runs them, up to `concurrency` at once. `run()` keeps going until
 * `stop()`, which lets each running action finish its current slice and hands its lease back;
 * `runUntilIdle()` drives everything that is due to an end, for tests.
 */
import { claimAction, releaseLease } from "./claim";
import { type RunDeps, type RunOutcome, runClaimedAction } from "./run-action";

export interface RunnerOptions extends RunDeps {
  concurrency: number;
  portalConcurrency: number;
  maxAttempts: number;
  /** How often an idle worker looks for work (a local submission wakes it at once). */
  idlePollMs: number;
  log?: (line: Record<string, unknown>) => void;
}

export class EngineRunner {
  private readonly active = new Map<number, Promise<RunOutcome>>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(private readonly options: RunnerOptions) {}

  get activeCount(): number {
    return this.active.size;
  }

  /** Claims and starts actions while there are free slots; returns how many it started. */
  async fill(): Promise<number> {
    let started = 0;
    while (!this.stopping && this.active.size < this.options.concurrency) {
      const claimed = await claimAction(this.options.db, {
        workerId: this.options.workerId,
        now: this.options.clock.now(),
        leaseMs: this.options.leaseMs,
        portalConcurrency: this.options.portalConcurrency,
        maxAttempts: this.options.maxAttempts,
        running: [...this.active.keys()],
      });
      if (!claimed) break;
      started++;
      this.options.onCommit?.(claimed);
      this.options.observe?.transition(claimed);
      const run = runClaimedAction(this.options, claimed, () => this.stopping)
        .catch((error): RunOutcome => {
          this.options.log?.({
            level: "error",
            msg: "action run failed",
            referenceId: claimed.referenceId,
            error: String(error),
          });
          return "lost";
        })
        .then(async (outcome) => {
          if (outcome === "stopped") {
            await releaseLease(this.options.db, claimed.id, claimed.leaseOwner!, this.options.clock.now());
          }
          this.active.delete(claimed.id);
          this.wake();
          return outcome;
        });
      this.active.set(claimed.id, run);
    }
    return started;
  }

  /** Runs until there is nothing due and nothing running (tests; the clock must not need to move). */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await this.fill();
      if (this.active.size === 0) return;
      await Promise.race(this.active.values());
    }
  }

  /** Keeps claiming work until `stop()`. */
  run(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        try {
          await this.fill();
        } catch (error) {
          this.options.log?.({ level: "error", msg: "claim failed", error: String(error) });
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.idlePollMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = null;
      }
    })();
  }

  /** Something changed (a submission, an action ended): look for work now. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Graceful stop: running actions finish their slice and release their lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = null;
    await Promise.allSettled(this.active.values());
  }
}
