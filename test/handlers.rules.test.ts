/**
 * Dynamic rules end to end: the group ends up holding exactly the matching users (case-insensitive),
 * the report lists only problems, change needs a rule group, later user uploads keep rule groups in
 * line, and a crash in the middle resumes to the exact membership.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { manyUsers, type Portal, startPortal } from "./support/portal";

let p: Portal;

beforeEach(async () => {
  p = await startPortal();
  await p.seedUsers([
    { email: "ann@example.com", department: "Sales" },
    { email: "ben@example.com", department: "SALES" },
    { email: "cid@partner.org", department: "Support", role: "manager" },
    { email: "dee@example.com", department: "Presales" },
    { email: "eve@example.com", department: "" },
  ]);
});
afterEach(() => p.stop());

async function members(group: string): Promise<string[]> {
  const rows = await p.db.all<{ email: string }>(sql`
    SELECT u.email FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id
    WHERE g.name = ${group} ORDER BY u.email`);
  return rows.map((r) => r.email);
}

const rule = (attribute: string, operator: string, value: string) => ({ attribute, operator, value });

describe("dynamic_rule_start", () => {
  test("creates the group and fills it with exactly the matching users, case-insensitively", async () => {
    const ref = await p.submit("dynamic_rule_start", {
      group: "Sales team",
      rule: rule("department", "equals", "sales"),
    });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 5, processed: 5, succeeded: 5, errors: 0, warnings: 0 });
    expect(view.errorReport).toBeNull();
    expect(await members("Sales team")).toEqual(["ann@example.com", "ben@example.com"]);
    const [group] = await p.db.all<{ rule: string }>(sql`SELECT rule FROM groups WHERE name = 'Sales team'`);
    expect(JSON.parse(group!.rule)).toEqual(rule("department", "equals", "sales"));
  });

  test("turns a static group into a rule group: members that do not match leave", async () => {
    const all = await p.db.all<{ id: number; email: string }>(sql`SELECT id, email FROM users ORDER BY id`);
    await p.seedGroup("Mixed", [all[0]!.id, all[2]!.id]); // ann (Sales), cid (Support)
    await p.submit("dynamic_rule_start", { group: "Mixed", rule: rule("department", "contains", "SALES") });
    await p.run();
    expect(await members("Mixed")).toEqual(["ann@example.com", "ben@example.com", "dee@example.com"]);
  });

  test("notEquals and role rules", async () => {
    await p.submit("dynamic_rule_start", {
      group: "Not learners",
      rule: rule("role", "notEquals", "Learner"),
    });
    await p.submit("dynamic_rule_start", {
      group: "Not sales",
      rule: rule("department", "notEquals", "sales"),
    });
    await p.run();
    expect(await members("Not learners")).toEqual(["cid@partner.org"]);
    expect(await members("Not sales")).toEqual(["cid@partner.org", "dee@example.com", "eve@example.com"]);
  });

  test("email domain rules; a user whose email has no domain is a Warning and stays out", async () => {
    await p.seedUsers([{ email: "legacy-account" }]);
    const ref = await p.submit("dynamic_rule_start", {
      group: "Not example",
      rule: rule("emailDomain", "notEquals", "@Example.com"),
    });
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 6, processed: 6, succeeded: 6, errors: 0, warnings: 1 });
    const report = await p.report(ref);
    expect(report).toHaveLength(1);
    expect(report[0]!.slice(0, 3)).toEqual([6, "Warning", "legacy-account"]);
    expect(await members("Not example")).toEqual(["cid@partner.org"]);
  });

  test("a role rule must name a role", async () => {
    const res = await p.post("dynamic_rule_start", { group: "G", rule: rule("role", "equals", "boss") });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(["params.rule.value"]);
  });
});

describe("dynamic_rule_change", () => {
  test("needs an existing group that has a rule (422 otherwise)", async () => {
    const unknown = await p.post("dynamic_rule_change", {
      group: "Nope",
      rule: rule("department", "equals", "x"),
    });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("params.group");
    await p.seedGroup("Static", []);
    const statik = await p.post("dynamic_rule_change", {
      group: "Static",
      rule: rule("department", "equals", "x"),
    });
    expect(statik.status).toBe(422);
    expect(((await statik.json()) as { errors: { message: string }[] }).errors[0]!.message).toContain(
      "has no rule",
    );
  });

  test("replaces the rule and re-evaluates every user", async () => {
    await p.submit("dynamic_rule_start", { group: "Dept", rule: rule("department", "equals", "sales") });
    await p.run();
    const ref = await p.submit("dynamic_rule_change", {
      group: "Dept",
      rule: rule("department", "equals", "support"),
    });
    await p.run();
    expect((await p.view(ref)).status).toBe("completed");
    expect(await members("Dept")).toEqual(["cid@partner.org"]);
  });
});

describe("later user uploads", () => {
  test("users created or changed by an upload join or leave rule groups as their attributes say", async () => {
    await p.submit("dynamic_rule_start", {
      group: "Sales team",
      rule: rule("department", "equals", "Sales"),
    });
    await p.run();
    const csv = [
      "email,first_name,last_name,department,groups",
      "new@example.com,New,Person,sales,",
      "ann@example.com,Ann,Moved,Support,",
      "cid@partner.org,Cid,Asks,,Sales team", // a groups cell cannot put a non-matching user in a rule group
      "ben@example.com,Ben,Same,,", // an empty department keeps Sales
    ].join("\n");
    const ref = await p.upload("user_upload", "users.csv", csv);
    await p.run();
    expect((await p.view(ref)).status).toBe("completed");
    expect(await members("Sales team")).toEqual(["ben@example.com", "new@example.com"]);
  });
});

describe("crash and resume", () => {
  test("a crash in the middle resumes to exactly the matching users", async () => {
    await p.seedUsers(manyUsers(1200, "m", ["Sales", "Support", "Ops"]));
    const all = await p.db.all<{ id: number }>(sql`SELECT id FROM users`);
    await p.seedGroup(
      "Sales team",
      all.map((u) => u.id),
    ); // everyone, to be pruned
    const ref = await p.submit("dynamic_rule_start", {
      group: "Sales team",
      rule: rule("department", "equals", "sales"),
    });
    const crashed = await p.crashAfterFirstSlice();
    expect(crashed.total).toBe(1205);
    await p.run();
    const view = await p.view(ref);
    expect(view.status).toBe("completed");
    expect(view.progress).toEqual({ total: 1205, processed: 1205, succeeded: 1205, errors: 0, warnings: 0 });
    const got = await members("Sales team");
    expect(got).toHaveLength(400 + 2);
    expect(got.filter((e) => e.startsWith("m")).length).toBe(400);
  });
});
