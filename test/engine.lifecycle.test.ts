import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { count, eq, sql } from "drizzle-orm";
import { findActionById } from "../src/actions/repository";
import { actions, outbox, reportRows, users } from "../src/db/schema";
import { claimAction } from "../src/engine/claim";
import { promoteDueActions, sweepTimeouts } from "../src/engine/clocks";
import { runClaimedAction } from "../src/engine/run-action";
import { ADA, BOB, bearer, EVE } from "./support/env";
import {
  claimOptions,
  engineDeps,
  getAction,
  startTestTracker,
  type TestTracker,
  uploadCsv,
} from "./support/tracker";

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker({ ACTION_TIMEOUT: "10m" });
});
afterEach(() => t.stop());

/** A CSV of `n` rows where every 10th row has an invalid email (an Error) and every 7th no last name (a Warning). */
function people(n: number, domain = "x.com"): string {
  const rows = ["email,first_name,last_name,role"];
  for (let i = 0; i < n; i++) {
    const email = i % 10 === 9 ? `broken-${i}` : `p${i}@${domain}`;
    rows.push(`${email},P${i},${i % 7 === 6 ? "" : "L"},learner`);
  }
  return `${rows.join("\n")}\n`;
}
const expectedCounts = (n: number) => {
  let errors = 0;
  let warnings = 0;
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) errors++;
    else if (i % 7 === 6) warnings++;
  }
  return { total: n, processed: n, succeeded: n - errors, errors, warnings };
};

const upload = async (n: number, person = ADA) =>
  (await (await uploadCsv(t, person, people(n), "big.csv")).json()) as { referenceId: string };
const idOf = async (ref: string) =>
  (await t.db.select().from(actions).where(eq(actions.referenceId, ref)))[0]!;
const userCount = async () => (await t.db.select({ n: count() }).from(users))[0]!.n;

describe("the engine", () => {
  test("a cancel before the run: the action never starts", async () => {
    const { referenceId } = await upload(20);
    await t.request(`/v1/actions/${referenceId}/cancel`, { method: "POST", headers: bearer(ADA) });
    await t.drain();
    const action = await getAction(t, ADA, referenceId);
    expect(action.status).toBe("cancelled");
    expect(action.startedAt).toBeNull();
    expect(await userCount()).toBe(0);
  });

  test("a cancel during the run stops at the next slice boundary and keeps what was done", async () => {
    const { referenceId } = await upload(2_000);
    const claimed = (await claimAction(t.db, claimOptions(t, "w1")))!;
    const deps = engineDeps(t, { workerId: "w1" });
    let checks = 0;
    expect(await runClaimedAction(deps, claimed, () => ++checks > 1)).toBe("stopped");
    // Between two slices (the worker still holds its lease), the requester cancels.
    expect(
      (await t.request(`/v1/actions/${referenceId}/cancel`, { method: "POST", headers: bearer(ADA) })).status,
    ).toBe(200);
    const outcome = await runClaimedAction(deps, (await findActionById(t.db, claimed.id))!, () => false);
    expect(outcome).toBe("lost");
    const action = await getAction(t, ADA, referenceId);
    expect(action.status).toBe("cancelled");
    expect(action.progress.processed).toBe(500);
    expect(await userCount()).toBe(action.progress.succeeded);
  });

  test("a worker that dies mid-action: another resumes from the checkpoint, nothing twice", async () => {
    const n = 2_600;
    const { referenceId } = await upload(n);
    const dead = (await claimAction(t.db, claimOptions(t, "dead")))!;
    let slices = 0;
    expect(await runClaimedAction(engineDeps(t, { workerId: "dead" }), dead, () => ++slices > 2)).toBe(
      "stopped",
    );
    // The dead worker never released its lease: nobody may take the action until it runs out.
    expect(await claimAction(t.db, claimOptions(t, "early"))).toBeNull();
    t.clock.advance(30_001);
    await t.drain();
    const action = await getAction(t, ADA, referenceId);
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual(expectedCounts(n));
    expect(await userCount()).toBe(expectedCounts(n).succeeded);
    const row = await idOf(referenceId);
    const lines = (
      await t.db.select({ n: count() }).from(reportRows).where(eq(reportRows.actionId, row.id))
    )[0]!.n;
    expect(lines).toBe(expectedCounts(n).errors + expectedCounts(n).warnings);
    expect(row.attempts).toBe(2);
  });

  test("ACTION_TIMEOUT ends a long action as timeout, with a reason and one email", async () => {
    const { referenceId } = await upload(1_500);
    const claimed = (await claimAction(t.db, claimOptions(t, "slow")))!;
    await runClaimedAction(
      engineDeps(t, { workerId: "slow" }),
      claimed,
      (() => {
        let n = 0;
        return () => ++n > 1;
      })(),
    );
    t.clock.advance(11 * 60_000);
    const ended = await sweepTimeouts(t.db, {
      now: t.clock.now(),
      reportRetentionMs: t.config.reportRetentionMs,
      publicUrl: t.config.publicUrl,
      actionTimeoutMs: t.config.actionTimeoutMs,
      maxAttempts: 5,
    });
    expect(ended.map((a) => a.referenceId)).toEqual([referenceId]);
    const action = await getAction(t, ADA, referenceId);
    expect(action.status).toBe("timeout");
    expect(action.failureReason).toContain("time limit");
    expect(action.progress.processed).toBe(500);
    const mails = await t.db
      .select()
      .from(outbox)
      .where(eq(outbox.idempotencyKey, `completion/${referenceId}`));
    expect(mails.length).toBe(1);
    expect(mails[0]!.subject).toContain("Timeout");
  });

  test("a lease that keeps dying ends as timeout instead of looping forever", async () => {
    const { referenceId } = await upload(10);
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(await claimAction(t.db, claimOptions(t, `crash-${attempt}`))).not.toBeNull();
      t.clock.advance(30_001);
    }
    expect(await claimAction(t.db, claimOptions(t, "next"))).toBeNull();
    await sweepTimeouts(t.db, {
      now: t.clock.now(),
      reportRetentionMs: 1,
      publicUrl: "",
      actionTimeoutMs: t.config.actionTimeoutMs,
      maxAttempts: 5,
    });
    const action = await getAction(t, ADA, referenceId);
    expect(action.status).toBe("timeout");
    expect(action.failureReason).toContain("interrupted 5 times");
  });

  test("fairness: a portal's running actions are bounded, so another portal's small upload goes first", async () => {
    const big = [await upload(100), await upload(100), await upload(100)];
    const small = await upload(5, EVE);
    const options = { ...claimOptions(t, "w"), portalConcurrency: 2 };
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push((await claimAction(t.db, options))!.referenceId);
    expect(order).toEqual([big[0]!.referenceId, big[1]!.referenceId, small.referenceId]);
    expect(await claimAction(t.db, options)).toBeNull();
  });

  test("a final status never changes, whatever code tries", async () => {
    const { referenceId } = await upload(3, BOB);
    await t.drain();
    const row = await idOf(referenceId);
    expect(row.status).toBe("completed");
    const error = await t.db
      .run(sql`UPDATE actions SET status = 'in_progress', version = version + 1 WHERE id = ${row.id}`)
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(String(error?.cause)).toContain("final action status cannot change");
    expect((await findActionById(t.db, row.id))!.status).toBe("completed");
  });
});

describe("the sweeper", () => {
  test("an upload orphaned while staging fails with a reason instead of waiting forever", async () => {
    const { insertAction } = await import("../src/actions/repository");
    const { action } = await insertAction(t.db, t.clock.now(), ADA, {
      type: "user_upload",
      params: {},
      ready: false,
    });
    const sweep = () =>
      sweepTimeouts(t.db, {
        now: t.clock.now(),
        reportRetentionMs: 1,
        publicUrl: "",
        actionTimeoutMs: t.config.actionTimeoutMs,
        maxAttempts: 5,
      });
    expect(await sweep()).toEqual([]);
    t.clock.advance(11 * 60_000);
    const [ended] = await sweep();
    expect(ended).toMatchObject({ referenceId: action.referenceId, status: "failed" });
    expect(ended!.failureReason).toContain("interrupted");
    // A scheduled upload orphaned while staging (it has no time to run until staged) fails the same way.
    const later = await insertAction(t.db, t.clock.now(), ADA, {
      type: "user_upload",
      params: {},
      ready: false,
      scheduledFor: t.clock.now() + 86_400_000,
    });
    expect(later.action.status).toBe("scheduled");
    // Its time comes while it is still being staged: it is not promoted (it would run on part of its file).
    t.clock.advance(86_400_000);
    expect(await promoteDueActions(t.db, t.clock.now())).toBe(0);
    t.clock.advance(11 * 60_000);
    const [scheduled] = await sweep();
    expect(scheduled).toMatchObject({ referenceId: later.action.referenceId, status: "failed" });
  });
});
