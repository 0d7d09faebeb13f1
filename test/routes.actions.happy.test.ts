import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { insertAction } from "../src/actions/repository";
import { actions } from "../src/db/schema";
import { ADA, bearer } from "./support/env";
import { getAction, postJson, startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(() => t.stop());

const reminder = {
  type: "dynamic_rule_start",
  params: { group: "Sales", rule: { attribute: "department", operator: "equals", value: "Sales" } },
};

describe("POST /v1/actions", () => {
  test("JSON: 202 with the action, Location and ETag", async () => {
    const res = await postJson(t, ADA, reminder);
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(res.headers.get("location")).toBe(`/v1/actions/${body.referenceId}`);
    expect(res.headers.get("etag")).toBe(`"${body.referenceId}.${body.version}"`);
    expect(body).toMatchObject({
      taskId: null,
      step: 1,
      steps: 1,
      type: "dynamic_rule_start",
      typeLabel: "Dynamic rule start",
      status: "not_started",
      statusLabel: "Not started",
      requester: { id: "u-1", name: "Ada Admin", email: "ada@example.com", role: "admin" },
      fileName: null,
      progress: { total: 0, processed: 0, succeeded: 0, errors: 0, warnings: 0 },
      failureReason: null,
      scheduledFor: null,
      startedAt: null,
      completedAt: null,
      errorReport: null,
    });
    expect(body.referenceId).toMatch(/^BA-[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
  });

  test("multipart upload: staged, total known at once, file name kept", async () => {
    const res = await uploadCsv(
      t,
      ADA,
      "email,first_name,last_name\na@x.com,A,B\nb@x.com,B,C\n",
      "spring hires.csv",
    );
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ type: "user_upload", status: "not_started", fileName: "spring hires.csv" });
    expect(body.progress.total).toBe(2);
  });

  test("scheduledFor in the future: scheduled, then not_started when due, then run", async () => {
    const when = new Date(t.clock.now() + 3_600_000).toISOString();
    const res = await uploadCsv(t, ADA, "email,first_name,last_name\nsched@x.com,S,X\n", "later.csv", {
      scheduledFor: when,
    });
    const body = await res.json();
    expect(body).toMatchObject({ status: "scheduled", scheduledFor: when });
    await t.drain();
    expect((await getAction(t, ADA, body.referenceId)).status).toBe("scheduled");
    t.clock.advance(3_600_001);
    await t.drain();
    const done = await getAction(t, ADA, body.referenceId);
    expect(done.status).toBe("completed");
    expect(done.progress).toEqual({ total: 1, processed: 1, succeeded: 1, errors: 0, warnings: 0 });
  });

  test("Idempotency-Key: the same key from the same person returns the first action", async () => {
    const first = await postJson(t, ADA, reminder, { "idempotency-key": "key-1" });
    const second = await postJson(
      t,
      ADA,
      { ...reminder, params: { ...reminder.params, group: "Other" } },
      { "idempotency-key": "key-1" },
    );
    const a = await first.json();
    const b = await second.json();
    expect(second.status).toBe(202);
    expect(b.referenceId).toBe(a.referenceId);
    const third = await postJson(t, ADA, reminder, { "idempotency-key": "key-2" });
    expect((await third.json()).referenceId).not.toBe(a.referenceId);
  });

  test("Idempotency-Key on an upload is checked before the file is read again", async () => {
    const csv = "email\nidem@x.com\n";
    const a = await (await uploadCsv(t, ADA, csv, "a.csv", {}, { "idempotency-key": "upload-1" })).json();
    const b = await (await uploadCsv(t, ADA, csv, "a.csv", {}, { "idempotency-key": "upload-1" })).json();
    expect(b.referenceId).toBe(a.referenceId);
  });

  test("Idempotency-Key repeated while the first upload is still being received: 409 with Retry-After", async () => {
    // The first request's action as it is while its file is staged (not yet claimable).
    const { action } = await insertAction(t.db, t.clock.now(), ADA, {
      type: "user_upload",
      params: {},
      fileName: "slow.csv",
      idempotencyKey: "upload-in-flight",
      ready: false,
    });
    const csv = "email\nslow@x.com\n";
    const repeat = await uploadCsv(t, ADA, csv, "slow.csv", {}, { "idempotency-key": "upload-in-flight" });
    expect(repeat.status).toBe(409);
    expect(repeat.headers.get("retry-after")).toBe("2");
    expect((await repeat.json()).type).toBe("/problems/idempotency-key-in-use");
    // Staged: the repeat now gets the first action.
    await t.db.update(actions).set({ runAt: t.clock.now() }).where(eq(actions.id, action.id));
    const later = await uploadCsv(t, ADA, csv, "slow.csv", {}, { "idempotency-key": "upload-in-flight" });
    expect(later.status).toBe(202);
    expect((await later.json()).referenceId).toBe(action.referenceId);
  });
});

describe("GET /v1/actions", () => {
  test("newest first, with filters and a cursor that pages through everything once", async () => {
    const refs: string[] = [];
    for (let i = 0; i < 5; i++) refs.push((await (await postJson(t, ADA, reminder)).json()).referenceId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url = `/v1/actions?limit=2&type=dynamic_rule_start${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await (await t.request(url, { headers: bearer(ADA) })).json()) as {
        items: { referenceId: string; type: string }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) expect(item.type).toBe("dynamic_rule_start");
      seen.push(...page.items.map((i) => i.referenceId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 5)).toEqual([...refs].reverse());
    const byStatus = await (
      await t.request("/v1/actions?status=completed,scheduled", { headers: bearer(ADA) })
    ).json();
    for (const item of byStatus.items) expect(["completed", "scheduled"]).toContain(item.status);
  });
});

describe("GET /v1/actions/{ref}", () => {
  test("ETag and 304 while unchanged; a change gives a new tag", async () => {
    const created = await (await postJson(t, ADA, reminder)).json();
    const res = await t.request(`/v1/actions/${created.referenceId}`, { headers: bearer(ADA) });
    const etag = res.headers.get("etag")!;
    expect(res.status).toBe(200);
    const again = await t.request(`/v1/actions/${created.referenceId}`, {
      headers: { ...bearer(ADA), "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    await t.request(`/v1/actions/${created.referenceId}/cancel`, { method: "POST", headers: bearer(ADA) });
    const changed = await t.request(`/v1/actions/${created.referenceId}`, {
      headers: { ...bearer(ADA), "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  test("reference IDs are read forgivingly (lower case, O for 0)", async () => {
    const created = await (await postJson(t, ADA, reminder)).json();
    const res = await t.request(`/v1/actions/${created.referenceId.toLowerCase().replace(/0/g, "o")}`, {
      headers: bearer(ADA),
    });
    expect(res.status).toBe(200);
  });
});

describe("POST /v1/actions/{ref}/cancel", () => {
  test("cancels a waiting action, then 409 because it is final", async () => {
    const created = await (await postJson(t, ADA, reminder)).json();
    const res = await t.request(`/v1/actions/${created.referenceId}/cancel`, {
      method: "POST",
      headers: bearer(ADA),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: "cancelled", statusLabel: "Cancelled" });
    expect(body.completedAt).not.toBeNull();
    expect(body.version).toBeGreaterThan(created.version);
    const again = await t.request(`/v1/actions/${created.referenceId}/cancel`, {
      method: "POST",
      headers: bearer(ADA),
    });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect((await again.json()).detail).toContain("Cancelled");
  });
});

describe("service routes", () => {
  test("GET /healthz answers once the database does", async () => {
    const res = await t.request("/healthz");
    expect(res.status).toBe(200);
  });

  test("GET /openapi.json describes the API from the validation schemas", async () => {
    const doc = await (await t.request("/openapi.json")).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/actions", "/v1/actions/{referenceId}", "/v1/events"]),
    );
    const { content } = doc.paths["/v1/actions"].post.requestBody;
    expect(Object.keys(content["multipart/form-data"].schema.discriminator.mapping)).toContain("user_upload");
    expect(Object.keys(content["application/json"].schema.discriminator.mapping)).toContain("group_enroll");
  });
});
