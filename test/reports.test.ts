import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { count, eq } from "drizzle-orm";
import { parseCsv } from "../src/csv/parse";
import { actions, reportRows } from "../src/db/schema";
import { contentDisposition } from "../src/reports/download";
import { expireReports } from "../src/reports/expiry";
import { ADA, bearer } from "./support/env";
import { SseReader } from "./support/sse";
import { getAction, startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker({ REPORT_RETENTION: "90s" });
});
afterAll(() => t.stop());

const CSV = [
  "Email,First_Name,LAST_NAME,role",
  "ok@x.com,Ok,Fine,learner",
  '=HYPERLINK("http://evil"),Eve,Il,learner',
  '"a,b""c",Q,Uote,learner',
  "no-last@x.com,No,,learner",
  "boss@x.com,B,Oss,boss",
  "ok@x.com,Dup,Licate,learner",
  ",Blank,Email,learner",
].join("\r\n");

async function uploadAndRun(fileName: string) {
  const ref = (await (await uploadCsv(t, ADA, CSV, fileName)).json()).referenceId as string;
  await t.drain();
  return ref;
}

describe("error report download", () => {
  test("streams the CSV in row order with RFC 4180 quoting and neutralised formula cells", async () => {
    const ref = await uploadAndRun("spring-hires.csv");
    const action = await getAction(t, ADA, ref);
    expect(action.status).toBe("completed_with_errors");
    expect(action.progress).toEqual({ total: 7, processed: 7, succeeded: 2, errors: 5, warnings: 1 });
    expect(action.errorReport).toMatchObject({
      name: "spring-hires-errors.csv",
      url: `/v1/actions/${ref}/error-report`,
      expired: false,
    });
    const res = await t.request(action.errorReport!.url, { headers: bearer(ADA) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="spring-hires-errors.csv"; filename*=UTF-8''spring-hires-errors.csv`,
    );
    // (Response.text() drops a BOM, so look at the bytes: the BOM is there for Excel.)
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.startsWith("\uFEFFRow,Status,Identifier,Issue,Resolution\r\n")).toBe(true);
    const rows = parseCsv(text).map((r) => r.fields);
    expect(rows[0]).toEqual(["Row", "Status", "Identifier", "Issue", "Resolution"]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      ["3", "Error", `'=HYPERLINK("http://evil")`],
      ["4", "Error", 'a,b"c'],
      ["5", "Warning", "no-last@x.com"],
      ["6", "Error", "boss@x.com"],
      ["7", "Error", "ok@x.com"],
      ["8", "Error", "(blank)"],
    ]);
    const byRow = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(byRow.get("5")![3]).toBe("The last name is empty; the user was imported without it.");
    expect(byRow.get("6")![3]).toContain('The role "boss" is not one of');
    expect(byRow.get("7")![3]).toBe("This email address is already used by row 2 of the same file.");
    expect(byRow.get("8")![3]).toBe("The email address is missing.");
    for (const row of rows.slice(1)) expect(row[4]!.length).toBeGreaterThan(20);
  });

  test("a non-ASCII upload name gives a safe ASCII filename and a UTF-8 filename*", async () => {
    const ref = await uploadAndRun("Überstunden März.csv");
    const res = await t.request(`/v1/actions/${ref}/error-report`, { headers: bearer(ADA) });
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="_berstunden M_rz-errors.csv"; filename*=UTF-8''%C3%9Cberstunden%20M%C3%A4rz-errors.csv`,
    );
    expect(contentDisposition('evil"\r\nX-Injected: 1.csv')).not.toMatch(/[\r\n]/);
  });

  test("an action without problems has no report: 404", async () => {
    const ref = (await (await uploadCsv(t, ADA, "email,first_name,last_name\nclean@x.com,C,L\n")).json())
      .referenceId;
    await t.drain();
    expect((await getAction(t, ADA, ref)).errorReport).toBeNull();
    const res = await t.request(`/v1/actions/${ref}/error-report`, { headers: bearer(ADA) });
    expect(res.status).toBe(404);
  });
});

describe("report expiry", () => {
  test("kept until REPORT_RETENTION after the end, then rows deleted, 410, and an event", async () => {
    const ref = await uploadAndRun("expiring.csv");
    const action = await getAction(t, ADA, ref);
    const endedAt = Date.parse(action.completedAt!);
    expect(Date.parse(action.errorReport!.expiresAt!)).toBe(endedAt + 90_000);
    const stream = new SseReader(await t.request("/v1/events", { headers: bearer(ADA) }));
    await stream.next();

    expect(await expireReports(t.db, endedAt + 89_999)).toBe(0);
    expect((await t.request(`/v1/actions/${ref}/error-report`, { headers: bearer(ADA) })).status).toBe(200);

    // Several processes running the job at once: rows go once, the action is marked once.
    const withReports = await t.db.select({ n: count() }).from(actions).where(eq(actions.reportExpired, 0));
    const results = await Promise.all([
      expireReports(t.db, endedAt + 90_000),
      expireReports(t.db, endedAt + 90_000),
    ]);
    const expiredNow = await t.db.select({ n: count() }).from(actions).where(eq(actions.reportExpired, 1));
    expect(results.reduce((a, b) => a + b, 0)).toBe(expiredNow[0]!.n);
    expect(expiredNow[0]!.n).toBeGreaterThan(0);
    expect(expiredNow[0]!.n).toBeLessThanOrEqual(withReports[0]!.n);
    const res = await t.request(`/v1/actions/${ref}/error-report`, { headers: bearer(ADA) });
    expect(res.status).toBe(410);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await res.json()).detail).toContain(new Date(endedAt + 90_000).toISOString());
    const [row] = await t.db.select().from(actions).where(eq(actions.referenceId, ref));
    const left = await t.db.select({ n: count() }).from(reportRows).where(eq(reportRows.actionId, row!.id));
    expect(left[0]!.n).toBe(0);
    const after = await getAction(t, ADA, ref);
    expect(after.errorReport).toMatchObject({ expired: true, name: "expiring-errors.csv" });
    const frames = await stream.events(5, 1_500);
    const expiredEvents = frames.filter((f) => JSON.parse(f.data!).referenceId === ref);
    expect(expiredEvents.length).toBe(1);
    expect(expiredEvents[0]!.event).toBe("action.progress");
    expect(JSON.parse(expiredEvents[0]!.data!).errorReport.expired).toBe(true);
    await stream.cancel();
  });
});
