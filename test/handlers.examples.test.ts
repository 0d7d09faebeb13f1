/**
 * The files under examples/ do what the README says, in the README's order, against a portal seeded
 * by examples/users.csv. The courses SEC-101 and GDPR-1 are inserted directly here; on a real portal
 * they come from content uploads.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { ActionView } from "../src/actions/view";
import { type Portal, startPortal } from "./support/portal";

const EXAMPLES = join(import.meta.dir, "..", "examples");
let p: Portal;

beforeAll(async () => {
  p = await startPortal();
});
afterAll(() => p.stop());

async function runExample(file: string): Promise<ActionView> {
  const bytes = await Bun.file(join(EXAMPLES, file)).bytes();
  let ref: string;
  if (!file.endsWith(".json")) {
    ref = await p.upload(file.startsWith("users") ? "user_upload" : "history_migration", file, bytes);
  } else {
    const res = await p.request("/v1/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    expect(res.status).toBe(202);
    ref = ((await res.json()) as ActionView).referenceId;
  }
  await p.run();
  return p.view(ref);
}

async function members(group: string): Promise<string[]> {
  const rows = await p.db.all<{ email: string }>(sql`
    SELECT u.email FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id
    WHERE g.name = ${group} ORDER BY u.email`);
  return rows.map((r) => r.email);
}

test("every example runs and ends with the documented status and counts", async () => {
  const users = await runExample("users.csv");
  expect(users.status).toBe("completed_with_errors");
  expect(users.progress).toEqual({ total: 10, processed: 10, succeeded: 8, errors: 2, warnings: 1 });
  // Excel "CSV UTF-8" with German regional settings: semicolons, a quoted list of groups, a line break in
  // a cell (row 3), and the used range's rows of separators at the end (skipped, not counted).
  const semicolon = await runExample("users-excel-semicolon.csv");
  expect(semicolon.status).toBe("completed");
  expect(semicolon.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 1 });
  expect(await p.report(semicolon.referenceId)).toEqual([
    [4, "Warning", "chloe.lefevre@example.com", "The last name is empty; the user was imported without it."],
  ]);
  expect(await members("Vertrieb DACH")).toEqual([
    "chloe.lefevre@example.com",
    "jonas.mueller@example.com",
    "lena.fischer@example.com",
  ]);
  // Excel "Unicode Text": UTF-16LE with a BOM, TABs, header names as people type them.
  const unicode = await runExample("users-excel-unicode.txt");
  expect(unicode.status).toBe("completed");
  expect(unicode.progress).toEqual({ total: 3, processed: 3, succeeded: 3, errors: 0, warnings: 0 });
  const tokyo = await p.db.all<{ name: string }>(sql`
    SELECT u.first_name || ' ' || u.last_name AS name FROM group_members gm
    JOIN groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id
    WHERE g.name = '東京チーム' ORDER BY u.email`);
  expect(tokyo.map((n) => n.name)).toEqual(["明 田中", "María José García", "Ольга Иванова"]);
  await p.seedCourse("SEC-101", "Security basics");
  await p.seedCourse("GDPR-1", "Data protection essentials");

  const history = await runExample("history.csv");
  expect(history.status).toBe("completed_with_errors");
  expect(history.progress).toEqual({ total: 7, processed: 7, succeeded: 5, errors: 2, warnings: 1 });

  const enroll = await runExample("group-enroll.json");
  expect(enroll.status).toBe("completed");
  expect(enroll.progress).toMatchObject({ total: 10, succeeded: 10 });

  const reminder = await runExample("reminder.json");
  expect(reminder.status).toBe("completed");
  expect(reminder.progress.total).toBe(5);

  const complete = await runExample("group-mark-complete.json");
  expect(complete.status).toBe("completed");
  expect(complete.progress).toMatchObject({ total: 5, succeeded: 5 });

  const unenroll = await runExample("group-unenroll.json");
  expect(unenroll.status).toBe("completed");
  expect(unenroll.progress).toMatchObject({ total: 2, succeeded: 2, warnings: 1 });

  const start = await runExample("rule-start.json");
  expect(start.status).toBe("completed");
  expect(await members("Sales (dynamic)")).toEqual(["linus.berg@example.com", "sofia.costa@partner.org"]);

  const change = await runExample("rule-change.json");
  expect(change.status).toBe("completed");
  expect(await members("Sales (dynamic)")).toEqual(["sofia.costa@partner.org"]);
});
