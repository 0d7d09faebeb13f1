/**
 * A portal to run actions against: the real process (API role, so nothing runs behind the test's back)
 * on a real database in a temp folder, a ManualClock, helpers to seed users, courses and enrollments
 * directly, and a way to crash a worker after its first slice. Tests drive the engine with `run()`.
 */
import { expect } from "bun:test";
import { asc, eq, sql } from "drizzle-orm";
import type { ActionView } from "../../src/actions/view";
import { actions, courses, reportRows } from "../../src/db/schema";
import { claimAction } from "../../src/engine/claim";
import { promoteDueActions } from "../../src/engine/clocks";
import type { ActionHandler } from "../../src/engine/handler";
import { handlers } from "../../src/engine/handlers";
import { runClaimedAction } from "../../src/engine/run-action";
import { ManualClock } from "../../src/lib/clock";
import { startProcess } from "../../src/process";
import { checkedRequest } from "./contract";
import { ADA, bearer, type Person, tempDir, testConfig } from "./env";

export interface SeedUser {
  email: string;
  firstName?: string;
  department?: string;
  role?: string;
}

export async function startPortal(portal = ADA.portal, env: Record<string, string> = {}) {
  const temp = tempDir("tracker-handlers-");
  const config = testConfig(temp.path, { ROLE: "api", ...env });
  const clock = new ManualClock();
  const tracker = await startProcess(config, { clock, log: () => {} });
  const { db } = tracker.services;

  // Every answer is checked against the OpenAPI document (contract.ts).
  const checked = checkedRequest((path, init) => tracker.app.request(path, init));
  const request = (path: string, init: RequestInit = {}, who: Person = ADA) =>
    checked(path, { ...init, headers: { ...bearer(who), ...(init.headers ?? {}) } });

  const h = {
    tracker,
    clock,
    db,
    request,

    /** Submits a JSON action; answers the raw response. */
    post(type: string, params: unknown, extra: Record<string, unknown> = {}, who: Person = ADA) {
      return request(
        "/v1/actions",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ type, params, ...extra }),
        },
        who,
      );
    },

    /** Submits a JSON action that must be accepted; answers its reference ID. */
    async submit(type: string, params: unknown, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await h.post(type, params, extra);
      expect(res.status).toBe(202);
      return ((await res.json()) as ActionView).referenceId;
    },

    /** Submits a file action (multipart) that must be accepted; answers its reference ID. */
    async upload(type: string, fileName: string, content: string | Uint8Array): Promise<string> {
      const form = new FormData();
      form.set("type", type);
      form.set(
        "file",
        new File([content as string | Uint8Array<ArrayBuffer>], fileName, { type: "text/csv" }),
      );
      const res = await request("/v1/actions", { method: "POST", body: form });
      expect(res.status).toBe(202);
      return ((await res.json()) as ActionView).referenceId;
    },

    /** Promotes what is due and runs everything claimable to its end. */
    async run() {
      await promoteDueActions(db, clock.now());
      await tracker.runner.runUntilIdle();
      // Polls answer from the tail-fed cache: let the tail catch up, as it would within ~100 ms.
      await tracker.tail.pollOnce();
    },

    async view(referenceId: string): Promise<ActionView> {
      const res = await request(`/v1/actions/${referenceId}`);
      expect(res.status).toBe(200);
      return (await res.json()) as ActionView;
    },

    async row(referenceId: string) {
      const [row] = await db.select().from(actions).where(eq(actions.referenceId, referenceId));
      return row!;
    },

    /** The report as [row, status, identifier, issue] in row order. */
    async report(referenceId: string) {
      const { id } = await h.row(referenceId);
      const rows = await db
        .select()
        .from(reportRows)
        .where(eq(reportRows.actionId, id))
        .orderBy(asc(reportRows.row));
      return rows.map((r) => [r.row, r.status, r.identifier, r.issue] as [number, string, string, string]);
    },

    async seedUsers(list: SeedUser[]): Promise<Map<string, number>> {
      const json = JSON.stringify(
        list.map((u) => [u.email, u.firstName ?? "", u.department ?? "", u.role ?? "learner"]),
      );
      await db.run(sql`
        INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
        SELECT ${portal}, value ->> 0, value ->> 1, 'Test', value ->> 3, value ->> 2, 0, 0 FROM json_each(${json})`);
      const rows = await db.all<{ id: number; email: string }>(sql`SELECT id, email FROM users`);
      return new Map(rows.map((r) => [r.email, r.id]));
    },

    async seedCourse(code: string, title = `Course ${code}`): Promise<number> {
      const [row] = await db
        .insert(courses)
        .values({ portalId: portal, code, title, createdAt: 0, updatedAt: 0 })
        .returning();
      return row!.id;
    },

    async seedGroup(name: string, userIds: number[], rule: object | null = null): Promise<number> {
      const [group] = await db.all<{ id: number }>(
        sql`INSERT INTO groups (portal_id, name, rule, created_at)
            VALUES (${portal}, ${name}, ${rule ? JSON.stringify(rule) : null}, 0) RETURNING id`,
      );
      await db.run(sql`INSERT INTO group_members (group_id, user_id, added_at)
        SELECT ${group!.id}, value, 0 FROM json_each(${JSON.stringify(userIds)})`);
      return group!.id;
    },

    async enroll(
      courseId: number,
      userIds: number[],
      status = "enrolled",
      completedAt: number | null = null,
    ) {
      await db.run(sql`INSERT INTO enrollments (course_id, user_id, status, completed_at, enrolled_at)
        SELECT ${courseId}, value, ${status}, ${completedAt}, 0 FROM json_each(${JSON.stringify(userIds)})`);
    },

    /**
     * A worker ("dead") claims the next action, commits one slice of one chunk, then crashes inside its
     * second slice (uncommitted work lost) without releasing its lease; the clock then passes the lease.
     * The action needs more than one chunk (500 items).
     */
    async crashAfterFirstSlice() {
      const claimed = await claimAction(db, {
        workerId: "dead",
        now: clock.now(),
        leaseMs: 30_000,
        portalConcurrency: 10,
        maxAttempts: 5,
      });
      expect(claimed).not.toBeNull();
      const real = handlers[claimed!.type as keyof typeof handlers]!;
      let applied = 0;
      const crashing: ActionHandler = {
        ...real,
        async apply(ctx, items) {
          if (++applied > 1) throw new Error("simulated crash");
          const result = await real.apply(ctx, items);
          await Bun.sleep(30); // the slice (10 ms) ends after this one chunk
          return result;
        },
      };
      const deps = {
        db,
        blobs: tracker.services.blobs,
        clock,
        handlers: { [claimed!.type]: crashing },
        workerId: "dead",
        leaseMs: 30_000,
        publishEveryMs: 10,
        chunksPerRead: 1,
        publicUrl: config.publicUrl,
        reportRetentionMs: config.reportRetentionMs,
        actionTimeoutMs: config.actionTimeoutMs,
        settings: config,
      };
      await expect(runClaimedAction(deps, claimed!, () => false)).rejects.toThrow("simulated crash");
      const after = await h.row(claimed!.referenceId);
      expect(after.status).toBe("in_progress");
      expect(after.processed).toBe(500);
      clock.advance(31_000);
      return after;
    },

    async stop() {
      await tracker.stop();
      temp.cleanup();
    },
  };
  return h;
}

export type Portal = Awaited<ReturnType<typeof startPortal>>;

/** `count` users named `<prefix>0001@example.com`…, with departments cycling through `departments`. */
export function manyUsers(count: number, prefix = "u", departments = ["Sales", "Support"]): SeedUser[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `${prefix}${String(i + 1).padStart(4, "0")}@example.com`,
    firstName: `First${i + 1}`,
    department: departments[i % departments.length]!,
  }));
}
