import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ROUTES } from "../src/http/routes";
import { ADA, bearer } from "./support/env";
import { postJson, startTestTracker, type TestTracker, uploadCsv } from "./support/tracker";

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker({ MAX_UPLOAD_BYTES: "20000" });
});
afterAll(() => t.stop());

async function problem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = await res.json();
  // (Bun's toMatchObject with expect.any() rewrites the received object, so check the types by hand.)
  expect(body.status).toBe(status);
  for (const key of ["type", "title", "detail"]) expect(typeof body[key]).toBe("string");
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  return body as { errors?: { path: string; message: string }[]; detail: string };
}

describe("bad input to POST /v1/actions", () => {
  test("malformed JSON is a 400", async () => {
    const res = await t.request("/v1/actions", {
      method: "POST",
      body: "{ not json",
      headers: { ...bearer(ADA), "content-type": "application/json" },
    });
    const body = await problem(res, 400);
    expect(body.errors?.[0]?.message).toContain("not valid JSON");
  });

  test("an unknown type and a bad date are both named", async () => {
    const body = await problem(await postJson(t, ADA, { type: "launch_rockets", scheduledFor: "soon" }), 422);
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["scheduledFor", "type"]);
  });

  test("every problem in the params is named with its path", async () => {
    const body = await problem(
      await postJson(t, ADA, { type: "group_mark_complete", params: { group: "", score: 140 } }),
      422,
    );
    const paths = body.errors?.map((e) => e.path).sort();
    expect(paths).toEqual(["params.course", "params.group", "params.score"]);
    expect(body.errors?.find((e) => e.path === "params.course")?.message).toBe("params.course is required");
  });

  test("an unsupported media type is a 415", async () => {
    const res = await t.request("/v1/actions", {
      method: "POST",
      body: "type=user_upload",
      headers: { ...bearer(ADA), "content-type": "text/plain" },
    });
    await problem(res, 415);
  });

  test("a file type sent as JSON is a 415 that says to upload a file", async () => {
    const body = await problem(await postJson(t, ADA, { type: "user_upload" }), 415);
    expect(body.detail).toContain("multipart/form-data");
  });

  test("multipart without the file is a 422 naming it", async () => {
    const form = new FormData();
    form.set("type", "user_upload");
    const body = await problem(
      await t.request("/v1/actions", { method: "POST", body: form, headers: bearer(ADA) }),
      422,
    );
    expect(body.errors?.[0]?.path).toBe("file");
  });

  test("a body over the limit is a 413, before it is read", async () => {
    const body = await problem(await uploadCsv(t, ADA, `email\n${"a@x.com\n".repeat(5000)}`), 413);
    expect(body.detail).toContain("larger than the limit");
  });

  test("a bad Idempotency-Key is a 400", async () => {
    await problem(
      await postJson(t, ADA, { type: "dynamic_rule_start" }, { "idempotency-key": "x".repeat(300) }),
      400,
    );
  });
});

describe("whole-file problems: the action is recorded and fails with a reason", () => {
  const cases: [string, string | Uint8Array<ArrayBuffer>, string][] = [
    ["no email column", "name,role\nAda,admin\n", "no 'email' column"],
    ["an empty file", "", "empty"],
    ["a header only", "email,first_name\n", "no data rows"],
    ["binary data", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 2, 3]), "not a text CSV file"],
  ];
  for (const [name, csv, reason] of cases) {
    test(name, async () => {
      const res = await uploadCsv(t, ADA, csv, "broken.csv");
      expect(res.status).toBe(202);
      const body = await res.json();
      expect(body.status).toBe("failed");
      expect(body.failureReason).toContain(reason);
      expect(body.completedAt).not.toBeNull();
    });
  }
});

describe("other routes", () => {
  test("bad list filters and cursors are 400s naming the parameter", async () => {
    const body = await problem(
      await t.request("/v1/actions?status=done&limit=0", { headers: bearer(ADA) }),
      400,
    );
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["limit", "status.0"]);
    await problem(await t.request("/v1/actions?cursor=!!", { headers: bearer(ADA) }), 400);
    await problem(await t.request("/v1/actions?cursor=YWJj", { headers: bearer(ADA) }), 400);
  });

  test("an unknown route is a problem+json 404, a wrong method a 405 with Allow", async () => {
    await problem(await t.request("/v2/nothing", { headers: bearer(ADA) }), 404);
    const res = await t.request("/v1/actions/BA-00000000", { method: "DELETE", headers: bearer(ADA) });
    await problem(res, 405);
    expect(res.headers.get("allow")).toBe("GET");
  });

  test("every path of the route table answers other methods with 405 and its Allow (/openapi.json too)", async () => {
    const methods = new Map<string, string[]>();
    for (const route of ROUTES) methods.set(route.path, [...(methods.get(route.path) ?? []), route.method]);
    for (const [path, allowed] of methods) {
      const other = ["PUT", "PATCH", "DELETE", "POST"].find((m) => !allowed.includes(m))!;
      const res = await t.request(path.replace("{referenceId}", "BA-00000000"), {
        method: other,
        headers: bearer(ADA),
      });
      await problem(res, 405);
      expect(res.headers.get("allow")?.split(", ").sort()).toEqual([...allowed].sort());
    }
    expect((await t.request("/openapi.json", { method: "POST" })).headers.get("allow")).toBe("GET");
  });

  test("a bad Last-Event-ID is a 400", async () => {
    await problem(
      await t.request("/v1/events", { headers: { ...bearer(ADA), "last-event-id": "abc" } }),
      400,
    );
  });

  test("an unexpected failure is a 500 problem+json that leaks nothing", async () => {
    const broken = await startTestTracker();
    broken.tracker.database.close();
    const res = await broken.request("/v1/actions", { headers: bearer(ADA) });
    const body = await problem(res, 500);
    expect(body.detail).not.toContain("SQL");
    await broken.stop().catch(() => {});
  });
});

describe("every problem at once", () => {
  test("params that is not an object is named once", async () => {
    for (const params of [5, "group", true, null]) {
      const body = await problem(await postJson(t, ADA, { type: "group_enroll", params }), 422);
      expect({ params, errors: body.errors?.map((e) => e.path) }).toEqual({ params, errors: ["params"] });
    }
  });

  test("the envelope's and the params' problems are named together", async () => {
    const body = await problem(
      await postJson(t, ADA, { type: "group_enroll", params: { group: ["G"], courses: "C" }, notify: "yes" }),
      422,
    );
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["notify", "params.courses", "params.group"]);
  });

  test("an upload's name keeps no path and no control characters", async () => {
    const ref = (await (await uploadCsv(t, ADA, "email\nbad\n", "../../etc/cron.d/evil\r\n.csv")).json())
      .referenceId;
    const action = await (await t.request(`/v1/actions/${ref}`, { headers: bearer(ADA) })).json();
    // (FormData itself sends CR LF in a name as %0D%0A; whatever arrives, no path survives.)
    expect(action.fileName).toMatch(/^evil.*\.csv$/);
    expect(action.fileName).not.toMatch(/[/\\\r\n]/);
  });
});
