/**
 * Hostile bodies against real api processes, memory read from /proc/<pid>/status (issue 12):
 * - JSON bodies have their own small limit (MAX_JSON_BYTES), lists are checked for length before their
 *   items, and a problem list names the first 20 and counts the rest;
 * - the same bounds for a form's text fields (`courses=,,,,…`);
 * - an upload costs a few chunks of memory whatever its size, a chunked one streamed past
 *   MAX_UPLOAD_BYTES included (Hono's bodyLimit used to buffer such a body whole: +176 MB, three +476 MB);
 * - uploads received at once are capped per person (429) and per process (503), with Retry-After;
 * - a body trickled byte by byte must arrive within UPLOAD_DEADLINE (408), and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ADA, BOB, bearer, EVE, type Person } from "../support/env";
import { type Child, Cluster, log, sharedDatabase, until } from "./support/harness";
import { peakGrowth, postHead, rawRequest, sendChunked, statusOf } from "./support/raw-http";

const MiB = 1024 * 1024;
const UPLOAD_LIMIT = 64 * MiB;
const cluster = new Cluster();
let server: Child;
let slow: Child;
let dirs: { server: string; slow: string };

beforeAll(async () => {
  dirs = { server: cluster.tempDir(), slow: cluster.tempDir() };
  const main = await sharedDatabase(cluster, dirs.server);
  const other = await sharedDatabase(cluster, dirs.slow);
  [server, slow] = await Promise.all([
    cluster.start({
      DATABASE_URL: main.url,
      ROLE: "api",
      MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
      MAX_UPLOADS_PER_PERSON: "2",
      MAX_UPLOADS: "3",
    }),
    cluster.start({
      DATABASE_URL: other.url,
      ROLE: "api",
      UPLOAD_DEADLINE: "2s",
      MAX_UPLOADS_PER_PERSON: "1",
    }),
  ]);
  // Warm up each kind of request (first requests compile code and fill caches) before any memory reading.
  for (let i = 0; i < 3; i++) {
    await postJson(server, ADA, { type: "group_enroll", params: { group: "G", courses: [1, 2] } });
    await upload(server, ADA, "email\nwarm@example.com\n");
    await upload(server, ADA, "name\nwarm\n");
  }
}, 60_000);

afterAll(() => cluster.cleanup());

const portOf = (child: Child) => Number(new URL(child.url!).port);

function postJson(child: Child, who: Person, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${child.url}/v1/actions`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { ...bearer(who), "content-type": "application/json", ...headers },
  });
}

function upload(child: Child, who: Person, csv: string | Uint8Array, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set("type", "user_upload");
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.set("file", new File([csv as Uint8Array<ArrayBuffer>], "users.csv"));
  return fetch(`${child.url}/v1/actions`, { method: "POST", body: form, headers: bearer(who) });
}

interface Problem {
  type: string;
  detail: string;
  errors?: { path: string; message: string }[];
  moreErrors?: number;
}

async function problemOf(res: Response): Promise<Problem & { bytes: number }> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const text = await res.text();
  return { ...(JSON.parse(text) as Problem), bytes: text.length };
}

/** An upload's answer when it has `status`; otherwise its body is read and null returned (for `until`). */
async function uploadAnswered(child: Child, who: Person, csv: string, status: number) {
  const res = await upload(child, who, csv);
  if (res.status === status) return res;
  await res.arrayBuffer();
  return null;
}

const spooled = (dir: string) => {
  try {
    return readdirSync(join(dir, "uploads")).filter((name) => name.endsWith(".part"));
  } catch {
    return [];
  }
};

describe("JSON bodies and form fields: small limits, lengths before items, capped problem lists", () => {
  test("a list of 100,000 wrong-typed items: one problem (its length), a small answer, little memory", async () => {
    const courses = Array.from({ length: 100_000 }, () => 1);
    const { result: res, growthMiB } = await peakGrowth(server.pid, () =>
      postJson(server, ADA, { type: "group_enroll", params: { group: "G", courses } }),
    );
    expect(res.status).toBe(422);
    const problem = await problemOf(res);
    log(`hostile.bodies: 100,000 wrong items: 422 of ${problem.bytes} bytes, server +${growthMiB} MiB`);
    expect(problem.errors).toEqual([
      { path: "params.courses", message: "params.courses must name at most 500 courses" },
    ]);
    expect(problem.bytes).toBeLessThan(4096);
    expect(growthMiB).toBeLessThan(32);
  });

  test("400 wrong items (under the list's limit): the first 20 problems named, the rest counted", async () => {
    const res = await postJson(server, ADA, {
      type: "group_enroll",
      params: { group: "G", courses: Array.from({ length: 400 }, () => 7) },
      notify: "yes",
    });
    expect(res.status).toBe(422);
    const problem = await problemOf(res);
    expect(problem.detail).toBe("The request has 401 problems.");
    expect(problem.errors).toHaveLength(20);
    expect(problem.moreErrors).toBe(381);
    expect(problem.errors![0]).toEqual({ path: "notify", message: "notify must be boolean" });
  });

  for (const [name, size, chunked] of [
    ["a 30 MB JSON body with its Content-Length", 30 * MiB, false],
    ["a 30 MB JSON body sent chunked", 30 * MiB, true],
    ["a 10 MB JSON body of valid short strings", 10 * MiB, false],
  ] as const) {
    test(`${name}: 413 problem+json (it used to end in a 500, the stack overflowed)`, async () => {
      const item = name.includes("valid") ? '"C-1",' : "1,";
      const body = `{"type":"group_enroll","params":{"group":"G","courses":[${item.repeat(size / item.length)}"X"]}}`;
      const { result: res, growthMiB } = await peakGrowth(server.pid, async () => {
        if (!chunked) return postJson(server, ADA, body);
        const request = await rawRequest(
          portOf(server),
          postHead({
            authorization: bearer(ADA).authorization,
            "content-type": "application/json",
            "transfer-encoding": "chunked",
          }),
        );
        await Promise.race([sendChunked(request, size, 0x20), request.answered]);
        await request.answered;
        request.close();
        return new Response(request.body, {
          status: statusOf(request),
          headers: { "content-type": /content-type: ([^\r]+)/i.exec(request.head)?.[1] ?? "" },
        });
      });
      log(`hostile.bodies: ${name}: ${res.status}, server +${growthMiB} MiB`);
      expect(res.status).toBe(413);
      expect((await problemOf(res)).type).toBe("/problems/too-large");
      expect(growthMiB).toBeLessThan(48);
    }, 60_000);
  }

  test("a form field `courses=,,,,…` of 100 KB: one problem (its length), a small answer", async () => {
    const form = new FormData();
    form.set("type", "group_enroll");
    form.set("group", "G");
    form.set("courses", ",".repeat(100_000));
    const { result: res, growthMiB } = await peakGrowth(server.pid, () =>
      fetch(`${server.url}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) }),
    );
    expect(res.status).toBe(422);
    const problem = await problemOf(res);
    log(`hostile.bodies: courses=,,,, (100 KB): 422 of ${problem.bytes} bytes, server +${growthMiB} MiB`);
    expect(problem.errors).toEqual([
      { path: "params.courses", message: "params.courses must name at most 500 courses" },
    ]);
    expect(growthMiB).toBeLessThan(32);
  });

  test("a form's text fields over MAX_JSON_BYTES together (each under the per-field limit): 413", async () => {
    const text = "x".repeat(600 * 1024);
    const res = await upload(server, ADA, "email\na@example.com\n", { a: text, b: text, c: text });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).errors?.[0]?.message).toContain("text fields are longer than");
  });
});

describe("uploads: a few chunks of memory whatever their size, and a cap on those received at once", () => {
  const chunkedUpload = async (who: Person) => {
    const request = await rawRequest(
      portOf(server),
      postHead({
        authorization: bearer(who).authorization,
        "content-type": "multipart/form-data; boundary=x",
        "transfer-encoding": "chunked",
      }),
    );
    const sent = await sendChunked(request, UPLOAD_LIMIT * 2);
    await request.answered;
    request.close();
    return { status: statusOf(request), sent };
  };

  test("a chunked body streamed past MAX_UPLOAD_BYTES: 413 once past it, and a few MiB of memory", async () => {
    const { result, growthMiB } = await peakGrowth(server.pid, () => chunkedUpload(ADA));
    log(
      `hostile.bodies: chunked upload past the limit: ${result.status} after ${result.sent / MiB} MiB, +${growthMiB} MiB`,
    );
    expect(result.status).toBe(413);
    expect(growthMiB).toBeLessThan(48);
  }, 60_000);

  test("three at once: still a few MiB each", async () => {
    const { result, growthMiB } = await peakGrowth(server.pid, () =>
      Promise.all([ADA, BOB, EVE].map((who) => chunkedUpload(who))),
    );
    log(`hostile.bodies: three chunked uploads past the limit at once: +${growthMiB} MiB`);
    expect(result.map((r) => r.status)).toEqual([413, 413, 413]);
    expect(growthMiB).toBeLessThan(80);
  }, 90_000);

  test("a 45 MB upload costs what a small one does to receive (its file goes to disk as it arrives)", async () => {
    const rows =
      "name\n" +
      "x"
        .repeat(63)
        .concat("\n")
        .repeat((45 * MiB) / 64);
    const { result: res, growthMiB } = await peakGrowth(server.pid, () => upload(server, ADA, rows));
    log(`hostile.bodies: a 45 MB upload received: ${res.status}, +${growthMiB} MiB`);
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    expect(growthMiB).toBeLessThan(48);
  }, 60_000);

  test("over MAX_UPLOADS_PER_PERSON: 429; over MAX_UPLOADS: 503; both with Retry-After; places come back", async () => {
    const boundary = "HELD";
    const held = async (who: Person) => {
      const request = await rawRequest(
        portOf(server),
        postHead({
          authorization: bearer(who).authorization,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(10 * MiB),
        }),
      );
      await request.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nuser_upload\r\n`,
      );
      return request;
    };
    const small = "email\nplace@example.com\n";
    const adas = [await held(ADA), await held(ADA)];
    const tooMany = await until("Ada's third upload to be refused", () =>
      uploadAnswered(server, ADA, small, 429),
    );
    expect(tooMany.headers.get("retry-after")).toBe("5");
    expect((await problemOf(tooMany)).type).toBe("/problems/too-many-uploads");

    const bobs = await held(BOB);
    const busy = await until("the process to be full", () => uploadAnswered(server, EVE, small, 503));
    expect(busy.headers.get("retry-after")).toBe("5");
    expect((await problemOf(busy)).type).toBe("/problems/uploads-busy");

    // Clients that go away give their places back, and their spooled files are removed.
    for (const request of [...adas, bobs]) request.close();
    const accepted = await until("Ada's upload to be accepted again", () =>
      uploadAnswered(server, ADA, small, 202),
    );
    await accepted.arrayBuffer();
    await until("the spool to be empty", () => spooled(dirs.server).length === 0);
  }, 60_000);
});

describe("a body trickled byte by byte", () => {
  test("must arrive within UPLOAD_DEADLINE (each byte does not reset it): 408, and everything is freed", async () => {
    const boundary = "TRICKLE";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nuser_upload\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\n\r\nemail\n${"slow@example.com\n".repeat(50)}\r\n--${boundary}--\r\n`;
    const request = await rawRequest(
      portOf(slow),
      postHead({
        authorization: bearer(ADA).authorization,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(body.length),
      }),
    );
    let answered = false;
    void request.answered.then(() => {
      answered = true;
    });
    // The attacker's pace: one byte every 300 ms, for at most 30 s (the body would take 4 minutes).
    const started = Date.now();
    let sent = 0;
    while (!answered && sent < body.length && Date.now() - started < 30_000) {
      await request.write(body[sent]!).catch(() => {});
      sent++;
      await Bun.sleep(300);
    }
    request.close();
    log(
      `hostile.bodies: trickled body answered ${statusOf(request)} after ${sent} bytes (UPLOAD_DEADLINE=2s)`,
    );
    expect(statusOf(request)).toBe(408);
    expect(JSON.parse(request.body).type).toBe("/problems/body-timeout");
    // Its place is free (MAX_UPLOADS_PER_PERSON=1 here) and its spooled file is gone.
    const res = await upload(slow, ADA, "email\nafter@example.com\n");
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    await until("the spool to be empty", () => spooled(dirs.slow).length === 0);
  }, 60_000);
});
