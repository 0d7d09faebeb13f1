/**
 * `GET /v1/actions/{ref}/report-rows`: the error report as JSON pages, in row order, that the page shows
 * inline. The same lines as the CSV download, the same access rules (someone else's action answers
 * exactly like an unknown one), and kept and expired with the report.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseCsv } from "../src/csv/parse";
import { expireReports } from "../src/reports/expiry";
import { ADA, BOB, bearer, EVE, type Person } from "./support/env";
import { getAction, startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker({ REPORT_RETENTION: "90s" });
});
afterAll(() => t.stop());

/** 25 rows with an Error (no email) between good ones, and one Warning: 26 report lines. */
function csvWithProblems(): string {
  const lines = ["email,first_name,last_name"];
  for (let i = 0; i < 25; i++) lines.push(`ok${i}@example.com,Ok,Fine`, `,No,Email${i}`);
  lines.push("warn@example.com,,Lee");
  return `${lines.join("\r\n")}\r\n`;
}

async function uploaded(csv: string, name = "people.csv"): Promise<string> {
  const ref = (await (await uploadCsv(t, ADA, csv, name)).json()).referenceId as string;
  await t.drain();
  return ref;
}

const get = (path: string, who: Person = ADA) => t.request(path, { headers: bearer(who) });

interface Page {
  items: { row: number; status: string; identifier: string; issue: string; resolution: string }[];
  nextCursor: string | null;
}

describe("report rows", () => {
  test("20 a page by default, in row order, the same lines as the CSV report; a cursor pages on", async () => {
    const ref = await uploaded(csvWithProblems());
    const first = (await (await get(`/v1/actions/${ref}/report-rows`)).json()) as Page;
    expect(first.items.length).toBe(20);
    expect(first.nextCursor).not.toBeNull();
    const second = (await (
      await get(`/v1/actions/${ref}/report-rows?cursor=${first.nextCursor}`)
    ).json()) as Page;
    expect(second.items.length).toBe(6);
    expect(second.nextCursor).toBeNull();

    const all = [...first.items, ...second.items];
    const csv = await (await get(`/v1/actions/${ref}/error-report`)).text();
    const lines = parseCsv(csv.replace(/^\uFEFF/, ""))
      .slice(1)
      .map((r) => r.fields);
    expect(all.map((i) => [String(i.row), i.status, i.identifier, i.issue, i.resolution])).toEqual(lines);
    expect(all[0]).toMatchObject({ row: 3, status: "Error", identifier: "(blank)" });
    expect(all.at(-1)).toMatchObject({ row: 52, status: "Warning", identifier: "warn@example.com" });
  });

  test("any page size from 1 to 200 walks the whole report once", async () => {
    const ref = await uploaded(csvWithProblems());
    const rows: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=7&cursor=${cursor}` : "limit=7";
      const page = (await (await get(`/v1/actions/${ref}/report-rows?${query}`)).json()) as Page;
      expect(page.items.length).toBeLessThanOrEqual(7);
      rows.push(...page.items.map((i) => i.row));
      cursor = page.nextCursor;
    } while (cursor);
    expect(rows.length).toBe(26);
    expect([...rows].sort((a, b) => a - b)).toEqual(rows);
    expect(new Set(rows).size).toBe(26);
  });

  test("bad limits and cursors are a 400 naming the parameter", async () => {
    const ref = await uploaded(csvWithProblems());
    for (const [query, path] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=x", "limit"],
      ["cursor=!!", "cursor"],
      ["cursor=bm9wZQ", "cursor"],
    ] as const) {
      const res = await get(`/v1/actions/${ref}/report-rows?${query}`);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  test("someone else's action answers exactly like an unknown one; no report is a 404 too", async () => {
    const ref = await uploaded(csvWithProblems());
    const shape = async (res: Response) => {
      const { requestId: _, ...body } = await res.json();
      return { status: res.status, type: res.headers.get("content-type"), body };
    };
    const unknown = await shape(await get("/v1/actions/BA-00000000/report-rows"));
    expect(unknown.status).toBe(404);
    expect(await shape(await get(`/v1/actions/${ref}/report-rows`, BOB))).toEqual(unknown);
    expect(await shape(await get(`/v1/actions/${ref}/report-rows`, EVE))).toEqual(unknown);

    const clean = await uploaded("email,first_name,last_name\r\nclean@example.com,C,L\r\n");
    const none = await get(`/v1/actions/${clean}/report-rows`);
    expect(none.status).toBe(404);
    expect((await none.json()).detail).toContain("no error report");
  });

  test("kept with the report, then 410 once it has expired", async () => {
    const ref = await uploaded(csvWithProblems(), "expiring.csv");
    const ended = Date.parse((await getAction(t, ADA, ref)).completedAt!);
    await expireReports(t.db, ended + 89_999);
    expect((await get(`/v1/actions/${ref}/report-rows`)).status).toBe(200);
    await expireReports(t.db, ended + 90_000);
    const gone = await get(`/v1/actions/${ref}/report-rows`);
    expect(gone.status).toBe(410);
    expect((await gone.json()).expiredAt).toBe(new Date(ended + 90_000).toISOString());
  });
});
