/**
 * The group actions end to end: submission checks (422), report rows per member × course, the outcome
 * status, a group gone before the start (failed), and a crash in the middle with a resume.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { enrollments, groups, trainingHistory } from "../src/db/schema";
import { manyUsers, type Portal, startPortal } from "./support/portal";

let p: Portal;
let ids: Map<string, number>;
let a: number;
let b: number;

beforeEach(async () => {
  p = await startPortal();
  ids = await p.seedUsers([
    { email: "ann@example.com" },
    { email: "ben@example.com" },
    { email: "cid@example.com" },
    { email: "dee@example.com" },
  ]);
  a = await p.seedCourse("SEC-101", "Security basics");
  b = await p.seedCourse("GDPR-1", "Data protection");
  await p.seedGroup("Team", [
    ids.get("ann@example.com")!,
    ids.get("ben@example.com")!,
    ids.get("cid@example.com")!,
  ]);
});
afterEach(() => p.stop());

const id = (email: string) => ids.get(email)!;
const enrollmentOf = async (courseId: number, email: string) =>
  (
    await p.db
      .select()
      .from(enrollments)
      .where(sql`course_id = ${courseId} AND user_id = ${id(email)}`)
  )[0];

describe("submission checks", () => {
  test("an unknown group and unknown courses are refused with 422, each named", async () => {
    const res = await p.post("group_enroll", { group: "Nobody", courses: ["SEC-101", "NOPE", "ALSO-NOPE"] });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(["params.group", "params.courses.1", "params.courses.2"]);
    expect(body.errors[0]!.message).toContain('"Nobody" is not a group of this portal');
    expect(body.errors[1]!.message).toContain('"NOPE" is not the code of a course');
  });

  test("unenroll and mark complete check their group and course too", async () => {
    const unenroll = await p.post("group_unenroll", { group: "Team", courses: ["X"] });
    expect(unenroll.status).toBe(422);
    expect(((await unenroll.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "params.courses.0",
    ]);
    const complete = await p.post("group_mark_complete", { group: "team", course: "X" });
    expect(complete.status).toBe(422);
    expect(((await complete.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "params.group",
      "params.course",
    ]);
  });

  test("another portal's groups and courses do not count", async () => {
    const res = await p.post(
      "group_enroll",
      { group: "Team", courses: ["SEC-101"] },
      {},
      { sub: "u-1", portal: "p2", role: "admin", email: "eve@example.com", name: "Eve" },
    );
    expect(res.status).toBe(422);
  });
});

describe("group_enroll", () => {
  test("enrolls every member in every course; already enrolled is a Warning", async () => {
    await p.enroll(b, [id("ben@example.com")]);
    const ref = await p.submit("group_enroll", {
      group: "Team",
      courses: ["SEC-101", "GDPR-1"],
      dueDate: "2026-03-01T00:00:00Z",
    });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 6, processed: 6, succeeded: 6, errors: 0, warnings: 1 });
    // Members by id (ann, ben, cid), then courses in the order given: ben × GDPR-1 is row 4.
    expect(await p.report(ref)).toEqual([
      [4, "Warning", "ben@example.com / GDPR-1", "Already enrolled in this course (status: enrolled)."],
    ]);
    expect(view.errorReport?.name).toBeTruthy();
    const all = await p.db.select().from(enrollments);
    expect(all).toHaveLength(6);
    expect((await enrollmentOf(a, "cid@example.com"))?.dueDate).toBe(Date.parse("2026-03-01T00:00:00Z"));
    expect((await enrollmentOf(b, "ben@example.com"))?.dueDate).toBeNull(); // kept as it was
    expect(await enrollmentOf(a, "dee@example.com")).toBeUndefined(); // not a member
  });

  test("a group deleted before the action starts ends it failed, with a reason", async () => {
    const ref = await p.submit("group_enroll", { group: "Team", courses: ["SEC-101"] });
    await p.db.delete(groups).where(eq(groups.name, "Team"));
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("failed");
    expect(view.failureReason).toBe('The group "Team" no longer exists in this portal.');
  });

  test("an empty group completes with nothing to do", async () => {
    await p.seedGroup("Empty", []);
    const ref = await p.submit("group_enroll", { group: "Empty", courses: ["SEC-101"] });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress.total).toBe(0);
  });

  test("a crash in the middle resumes where it stopped: every enrollment once, every warning once", async () => {
    const big = await p.seedUsers(manyUsers(600, "m"));
    const members = [...big].filter(([email]) => email.startsWith("m")).map(([, uid]) => uid);
    await p.seedGroup("Everyone", members);
    await p.enroll(b, members.slice(0, 10)); // rows 2, 4, …, 20 warn
    const ref = await p.submit("group_enroll", { group: "Everyone", courses: ["SEC-101", "GDPR-1"] });

    const crashed = await p.crashAfterFirstSlice();
    expect(crashed.total).toBe(1200);
    await p.run();

    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 1200, processed: 1200, succeeded: 1200, errors: 0, warnings: 10 });
    const report = await p.report(ref);
    expect(report.map(([row]) => row)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    const [count] = await p.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM enrollments`);
    expect(count!.n).toBe(1200);
    expect((await p.row(ref)).attempts).toBe(2);
  });
});

describe("group_unenroll", () => {
  test("removes each member's enrollment; not enrolled is a Warning; a completion is kept as history", async () => {
    await p.enroll(a, [id("ann@example.com")], "completed", Date.parse("2025-12-01T10:00:00Z"));
    await p.enroll(a, [id("ben@example.com")]);
    const ref = await p.submit("group_unenroll", { group: "Team", courses: ["SEC-101"] });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 1 });
    expect(await p.report(ref)).toEqual([
      [
        3,
        "Warning",
        "cid@example.com / SEC-101",
        "Not enrolled in this course, so there was nothing to remove.",
      ],
    ]);
    expect(await p.db.select().from(enrollments)).toHaveLength(0);
    const history = await p.db.select().from(trainingHistory);
    expect(history).toEqual([
      {
        userId: id("ann@example.com"),
        courseId: a,
        completedAt: Date.parse("2025-12-01T10:00:00Z"),
        status: "completed",
        score: null,
        actionId: (await p.row(ref)).id,
      },
    ]);
  });
});

describe("group_mark_complete", () => {
  test("marks members complete; not enrolled is an Error, already complete a Warning", async () => {
    await p.enroll(a, [id("ann@example.com")]);
    await p.enroll(a, [id("ben@example.com")], "passed", Date.parse("2025-11-20T00:00:00Z"));
    const ref = await p.submit("group_mark_complete", {
      group: "Team",
      course: "SEC-101",
      completedAt: "2026-01-02T12:00:00Z",
      score: 88,
    });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed_with_errors");
    expect(view.progress).toEqual({ total: 3, processed: 3, succeeded: 2, errors: 1, warnings: 1 });
    expect(await p.report(ref)).toEqual([
      [2, "Warning", "ben@example.com / SEC-101", "Already complete (passed on 2025-11-20)."],
      [
        3,
        "Error",
        "cid@example.com / SEC-101",
        "Not enrolled in this course, so it cannot be marked complete.",
      ],
    ]);
    const ann = await enrollmentOf(a, "ann@example.com");
    expect(ann).toMatchObject({ status: "completed", progress: 100, score: 88 });
    expect(ann?.completedAt).toBe(Date.parse("2026-01-02T12:00:00Z"));
    expect((await enrollmentOf(a, "ben@example.com"))?.status).toBe("passed");
    expect(await enrollmentOf(a, "cid@example.com")).toBeUndefined();
  });

  test("without completedAt, every member gets the moment the action started", async () => {
    await p.enroll(a, [id("ann@example.com"), id("ben@example.com"), id("cid@example.com")]);
    const ref = await p.submit("group_mark_complete", { group: "Team", course: "SEC-101" });
    await p.run();
    expect((await p.view(ref)).status).toBe("completed");
    const rows = await p.db.select().from(enrollments);
    expect(new Set(rows.map((r) => r.completedAt))).toEqual(new Set([p.clock.now()]));
  });
});
