/** A 100,000-row user upload through the real server: exact counts, every report line, every user once. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { count } from "drizzle-orm";
import { parseCsvStream } from "../src/csv/decode";
import { users } from "../src/db/schema";
import { ADA, bearer } from "./support/env";
import { waitFor } from "./support/processes";
import { startTestServer, type TestServer } from "./support/server";
import { usersCsv } from "./support/users-csv";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test("100,000 rows end with exact counts and a complete report", async () => {
  const n = 100_000;
  const { csv, errors, warnings } = usersCsv(n, "big");
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File([csv], "hundred-thousand.csv"));
  const created = await (
    await fetch(`${server.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) })
  ).json();
  expect(created.progress.total).toBe(n);
  const done = await waitFor(
    "the upload to end",
    async () => {
      const action = await (
        await fetch(`${server.url}/v1/actions/${created.referenceId}`, { headers: bearer(ADA) })
      ).json();
      return action.completedAt ? action : null;
    },
    120_000,
  );
  expect(done.status).toBe("completed_with_errors");
  expect(done.progress).toEqual({ total: n, processed: n, succeeded: n - errors, errors, warnings });
  const stored = await server.tracker.services.db.select({ n: count() }).from(users);
  expect(stored[0]!.n).toBe(n - errors);

  const report = await fetch(`${server.url}${done.errorReport.url}`, { headers: bearer(ADA) });
  expect(report.headers.get("content-disposition")).toContain('filename="hundred-thousand-errors.csv"');
  let lines = 0;
  let lastRow = 0;
  for await (const batch of parseCsvStream(report.body!)) {
    for (const record of batch) {
      if (record.row === 1) continue;
      const row = Number(record.fields[0]);
      expect(row).toBeGreaterThan(lastRow);
      lastRow = row;
      lines++;
    }
  }
  expect(lines).toBe(errors + warnings);
}, 150_000);
