/**
 * One send rate for the whole deployment (MAIL_RATE requests per second), shared by every process through
 * one database row: `next_at`, the earliest time of the next request to the provider. Taking a slot is one
 * `UPDATE … WHERE next_at <= now`, so two processes never take the same slot, and requests are at least
 * 1/pace apart whichever process sends them (a cell-rate schedule with no burst: a late sender earns no
 * credit, so N workers together never exceed the rate, even for a moment).
 *
 * A 429 pushes `next_at` to when the provider says and halves the pace; every slot taken afterwards
 * raises it again by a tenth of MAIL_RATE, so the pace recovers within a few seconds once requests go
 * through (additive increase, multiplicative decrease). Only query builders and `sql` run here: libSQL
 * and D1 alike.
 */
import { and, eq, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { mailPace } from "../db/schema";

export const PACE_SCOPE = "resend";

/** Never slower than this share of MAIL_RATE, however many 429s came. */
const SLOWEST_SHARE = 1 / 8;
/** Each slot taken raises the pace by this share of MAIL_RATE. */
const RECOVERY_SHARE = 1 / 10;

/** ceil(x) for positive x, in SQL that D1 and libSQL both have (no math extension). */
const ceil = (x: SQL) => sql`(CAST(${x} AS INTEGER) + (${x} > CAST(${x} AS INTEGER)))`;

export interface PaceState {
  /** Requests per second now. */
  pace: number;
  /** Earliest time (ms) of the next request. */
  nextAt: number;
}

export class SendPace {
  private created = false;

  /** @param rate MAIL_RATE: requests per second for the deployment. */
  constructor(
    private readonly db: Db,
    readonly rate: number,
    private readonly scope = PACE_SCOPE,
  ) {}

  /** Milliseconds between two requests at the current pace. */
  private interval() {
    return ceil(sql`(1000.0 / min(${mailPace.pace}, ${this.rate}))`);
  }

  private async ensureRow(): Promise<void> {
    if (this.created) return;
    await this.db
      .insert(mailPace)
      .values({ scope: this.scope, nextAt: 0, pace: this.rate })
      .onConflictDoNothing();
    this.created = true;
  }

  /** Takes the next request slot: 0 when taken, else the milliseconds until one may be free. */
  async take(now: number): Promise<number> {
    await this.ensureRow();
    const taken = await this.db
      .update(mailPace)
      .set({
        nextAt: sql`max(${mailPace.nextAt}, ${now}) + ${this.interval()}`,
        pace: sql`min(${this.rate}, ${mailPace.pace} + ${this.rate * RECOVERY_SHARE})`,
      })
      .where(and(eq(mailPace.scope, this.scope), lte(mailPace.nextAt, now)))
      .returning({ nextAt: mailPace.nextAt });
    if (taken.length > 0) return 0;
    const state = await readPace(this.db, this.scope);
    return Math.max(1, (state?.nextAt ?? now) - now);
  }

  /** Returns a slot taken for nothing (there was nothing left to send by the time it was taken). */
  async giveBack(now: number): Promise<void> {
    await this.db
      .update(mailPace)
      .set({ nextAt: sql`max(${now}, ${mailPace.nextAt} - ${this.interval()})` })
      .where(eq(mailPace.scope, this.scope));
  }

  /** The provider said 429: nobody sends before `now + waitMs`, and the pace halves. */
  async throttled(now: number, waitMs: number): Promise<void> {
    await this.ensureRow();
    await this.db
      .update(mailPace)
      .set({
        nextAt: sql`max(${mailPace.nextAt}, ${now + Math.ceil(waitMs)})`,
        pace: sql`max(${this.rate * SLOWEST_SHARE}, ${mailPace.pace} / 2.0)`,
      })
      .where(eq(mailPace.scope, this.scope));
  }
}

/** The shared pace as it is now (for metrics), or null before the first email. */
export async function readPace(db: Db, scope = PACE_SCOPE): Promise<PaceState | null> {
  const [row] = await db
    .select({ pace: mailPace.pace, nextAt: mailPace.nextAt })
    .from(mailPace)
    .where(eq(mailPace.scope, scope));
  return row ?? null;
}
