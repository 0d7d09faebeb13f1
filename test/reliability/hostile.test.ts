/**
 * Hostile input: every case of the corpus (test/corpus: broken and hostile CSV, zip bombs, zip-slip,
 * truncated, encrypted and linked zips, XML entities, malformed JSON and multipart, oversized and slow
 * bodies, header injection through file names, forged tokens, reference guessing) played against one real
 * server process (ROLE=all). Each gets its clear answer — the right status with a problem+json naming the
 * problem, or an action `failed` with its reason, or a report row — and after each the process is alive
 * and /healthz answers. The server's RSS before and after the corpus is printed and bounded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { sql } from "drizzle-orm";
import { parseCsvStream } from "../../src/csv/decode";
import {
  authCases,
  CORPUS_LIMITS,
  FILENAME_CASES,
  requestCases,
  type UploadCase,
  uploadCases,
} from "../corpus/catalogue";
import { ADA, BOB, bearer, EVE, type Person } from "../support/env";
import { type Child, Cluster, log, percentile, rssMiB, sharedDatabase, until } from "./support/harness";

const cluster = new Cluster();
let server: Child;
let base: string;
let rssBefore = 0;
/** A local server that counts requests: the corpus names it as an external DTD, which must never be fetched. */
let probeRequests = 0;
const probe = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => {
    probeRequests++;
    return new Response("<!ELEMENT manifest ANY>");
  },
});

beforeAll(async () => {
  const dir = cluster.tempDir();
  const { url, database } = await sharedDatabase(cluster, dir);
  // What the history cases refer to.
  const emails = JSON.stringify(Array.from({ length: 10 }, (_, i) => `h${i}@example.com`));
  await database.db.run(sql`INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at)
    SELECT ${ADA.portal}, value, 'H', 'L', 'learner', '', 0, 0 FROM json_each(${emails})`);
  await database.db.run(sql`INSERT INTO courses (portal_id, code, title, created_at, updated_at)
    SELECT ${ADA.portal}, value, value, 0, 0 FROM json_each('["HIST-1","HIST-2","HIST-3"]')`);
  server = await cluster.start({
    DATABASE_URL: url,
    ROLE: "all",
    ...CORPUS_LIMITS,
    WORKER_CONCURRENCY: "4",
    PORTAL_CONCURRENCY: "4",
  });
  base = server.url!;
  // Warm up (first requests compile routes and fill caches) before the memory baseline.
  for (let i = 0; i < 3; i++) {
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File([`email\nwarm${i}@example.com\n`], "warm.csv"));
    const res = await fetch(`${base}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
    await waitEnded(((await res.json()) as { referenceId: string }).referenceId);
  }
  rssBefore = rssMiB(server.pid);
}, 60_000);

afterAll(async () => {
  probe.stop(true);
  await cluster.cleanup();
});

/** The process is alive and /healthz answers 200. */
async function healthy(): Promise<void> {
  expect(server.alive()).toBe(true);
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
}

interface View {
  referenceId: string;
  status: string;
  failureReason: string | null;
  completedAt: string | null;
  progress: { total: number; processed: number; succeeded: number; errors: number; warnings: number };
  errorReport: { url: string } | null;
}

async function waitEnded(ref: string, who: Person = ADA): Promise<View> {
  return until(
    `${ref} to end`,
    async () => {
      const view = (await (
        await fetch(`${base}/v1/actions/${ref}`, { headers: bearer(who) })
      ).json()) as View;
      return view.completedAt ? view : null;
    },
    90_000,
    50,
  );
}

async function problemOf(
  res: Response,
): Promise<{ detail: string; errors?: { path: string; message: string }[] }> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as { detail: string; errors?: { path: string; message: string }[] };
}

const mentions = (p: { detail: string; errors?: { path: string; message: string }[] }, pattern: RegExp) =>
  pattern.test(p.detail) || (p.errors ?? []).some((e) => pattern.test(e.path) || pattern.test(e.message));

/** The report download's Content-Disposition: one header, printable ASCII, the two parameters only. */
function dispositionProblems(value: string | null): string[] {
  if (value === null) return ["no Content-Disposition"];
  const out: string[] = [];
  if (/[^\x20-\x7e]/.test(value)) out.push(`non-printable characters in ${JSON.stringify(value)}`);
  if (
    !/^attachment; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]+$/.test(
      value,
    )
  )
    out.push(`not one attachment with a quoted filename and filename*: ${JSON.stringify(value)}`);
  return out;
}

async function readReport(url: string) {
  const res = await fetch(`${base}${url}`, { headers: bearer(ADA) });
  expect(res.status).toBe(200);
  const rows: string[][] = [];
  for await (const batch of parseCsvStream(res.body!)) for (const r of batch) rows.push(r.fields);
  return { res, header: rows[0], rows: rows.slice(1) };
}

async function submitUpload(c: UploadCase): Promise<Response> {
  const form = new FormData();
  form.set("type", c.type);
  for (const bytes of c.bytes())
    form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], c.fileName));
  return fetch(`${base}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
}

describe("hostile files: each ends with its clear answer", () => {
  for (const c of uploadCases({ probeUrl: `http://127.0.0.1:${probe.port}` })) {
    test(`${c.name} (${c.type})`, async () => {
      const res = await submitUpload(c);
      const text = await res.text();
      expect(res.status, text).toBe(202);
      const ref = (JSON.parse(text) as View).referenceId;
      await healthy();
      const view = await waitEnded(ref);
      const e = c.expect;
      if (e.status === "failed") {
        expect({ status: view.status, reason: view.failureReason }).toMatchObject({ status: "failed" });
        expect(view.failureReason ?? "").toMatch(e.reason);
      } else {
        expect({ status: view.status, failureReason: view.failureReason, ...view.progress }).toEqual({
          status: e.status,
          failureReason: null,
          total: e.total,
          processed: e.total,
          succeeded: e.total - e.errors,
          errors: e.errors,
          warnings: e.warnings,
        });
        if (e.errors + e.warnings > 0) {
          const report = await readReport(view.errorReport!.url);
          expect(dispositionProblems(report.res.headers.get("content-disposition"))).toEqual([]);
          expect(report.header).toEqual(["Row", "Status", "Identifier", "Issue", "Resolution"]);
          expect(report.rows.length).toBe(e.errors + e.warnings);
          expect(new Set(report.rows.map((r) => r[0])).size).toBe(report.rows.length);
          if (e.issue) for (const row of report.rows) expect(row[3]).toMatch(e.issue);
          if (e.formulas) {
            const identifiers = report.rows.map((r) => r[2] ?? "");
            expect(identifiers.filter((id) => /^[=+\-@\t\r]/.test(id))).toEqual([]);
            expect(identifiers.some((id) => id.startsWith("'"))).toBe(true);
          }
        }
      }
      await healthy();
    }, 120_000);
  }

  test("nothing in the corpus made the server fetch an external DTD or entity", () => {
    expect(probeRequests).toBe(0);
  });

  test("the SQL and script in names were stored as text", async () => {
    const res = await fetch(`${base}/v1/actions?limit=1`, { headers: bearer(ADA) });
    expect(res.status).toBe(200);
    await healthy();
  });
});

describe("hostile requests: each answered with the right status and a problem+json", () => {
  for (const c of requestCases()) {
    test(c.name, async () => {
      const headers: Record<string, string> = { ...bearer(ADA) };
      if (c.contentType !== null) headers["content-type"] = c.contentType;
      const res = await fetch(`${base}/v1/actions`, {
        method: "POST",
        body: c.body() as Uint8Array<ArrayBuffer>,
        headers,
      });
      expect(c.status).toContain(res.status);
      if (res.status >= 400) {
        const problem = await problemOf(res);
        if (c.problem) expect(mentions(problem, c.problem), JSON.stringify(problem)).toBe(true);
      } else {
        await res.arrayBuffer();
      }
      await healthy();
    }, 60_000);
  }
});

// The contract wants bad input answered "naming every problem": the envelope (type, notify, scheduledFor)
// and the params are checked together (the params used to be checked only once the envelope passed).
test("a 422 names every problem at once: the envelope's and the params'", async () => {
  const res = await fetch(`${base}/v1/actions`, {
    method: "POST",
    body: JSON.stringify({ type: "group_enroll", params: { group: ["G"], courses: "C" }, notify: "yes" }),
    headers: { ...bearer(ADA), "content-type": "application/json" },
  });
  expect(res.status).toBe(422);
  const paths = ((await problemOf(res)).errors ?? []).map((e) => e.path).sort();
  expect(paths).toEqual(["notify", "params.courses", "params.group"]);
});

describe("header injection through the upload's file name", () => {
  const names: string[] = [];
  for (const c of FILENAME_CASES) {
    test(`${c.name}: the report's Content-Disposition stays one safe header`, async () => {
      const res = await fetch(`${base}/v1/actions`, {
        method: "POST",
        body: c.body() as Uint8Array<ArrayBuffer>,
        headers: { ...bearer(ADA), "content-type": c.contentType },
      });
      expect(res.status).toBe(202);
      const view = await waitEnded(((await res.json()) as View).referenceId);
      expect(view.status).toBe("completed_with_errors");
      const report = await fetch(`${base}${view.errorReport!.url}`, { headers: bearer(ADA) });
      expect(report.status).toBe(200);
      await report.arrayBuffer();
      const disposition = report.headers.get("content-disposition");
      expect(dispositionProblems(disposition)).toEqual([]);
      expect(report.headers.get("set-cookie")).toBeNull();
      expect(report.headers.get("x-injected")).toBeNull();
      const ascii = /filename="([^"]*)"/.exec(disposition!)![1]!;
      const utf8 = decodeURIComponent(/filename\*=UTF-8''(\S+)$/.exec(disposition!)![1]!);
      names.push(ascii, utf8);
      await healthy();
    }, 60_000);
  }

  // A download name carries no path: the upload's name is kept without its folders (it used to keep
  // "../../../etc/cron.d/evil-errors.csv", and "C:\\Users\\…" in filename*).
  test("the report's file name carries no path separators", () => {
    expect(names.length).toBe(FILENAME_CASES.length * 2);
    expect(names.filter((n) => /[/\\]/.test(n))).toEqual([]);
  });
});

describe("forged and broken tokens: 401 (403 for a learner), never a crash", () => {
  for (const c of authCases()) {
    test(`${c.name}: ${c.status}`, async () => {
      const res = await fetch(`${base}/v1/actions`, { headers: c.headers() });
      expect(res.status).toBe(c.status);
      if (c.status === 401) {
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        await problemOf(res);
      } else {
        await res.arrayBuffer();
      }
      // The same token on the stream is refused the same way.
      const stream = await fetch(`${base}/v1/events`, { headers: c.headers() });
      expect(stream.status).toBe(c.status);
      await stream.arrayBuffer();
      await healthy();
    });
  }
});

describe("reference guessing: someone else's action is exactly an unknown one", () => {
  let adaRef = "";
  let adaEtag = "";
  const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

  beforeAll(async () => {
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File(["email\nnot-an-email\nfine@example.com\n"], "ada-private.csv"));
    const res = await fetch(`${base}/v1/actions`, { method: "POST", body: form, headers: bearer(ADA) });
    adaRef = ((await res.json()) as View).referenceId;
    await waitEnded(adaRef);
    adaEtag = (await fetch(`${base}/v1/actions/${adaRef}`, { headers: bearer(ADA) })).headers.get("etag")!;
  });

  const routes = [
    { method: "GET", path: (ref: string) => `/v1/actions/${ref}` },
    { method: "POST", path: (ref: string) => `/v1/actions/${ref}/cancel` },
    { method: "GET", path: (ref: string) => `/v1/actions/${ref}/error-report` },
  ];

  test("300 random reference IDs: all 404, all the same answer", async () => {
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const baseline = strip(
      await (await fetch(`${base}/v1/actions/BA-ZZZZZZZZ`, { headers: bearer(ADA) })).json(),
    );
    const bodies = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const ref = `BA-${Array.from({ length: 8 }, () => alphabet[Math.floor(Math.random() * 32)]).join("")}`;
      const who = [ADA, BOB, EVE][i % 3]!;
      const res = await fetch(`${base}/v1/actions/${ref}`, { headers: bearer(who) });
      expect(res.status).toBe(404);
      bodies.add(JSON.stringify(strip(await res.json())));
    }
    expect([...bodies]).toEqual([JSON.stringify(baseline)]);
    await healthy();
  });

  for (const [label, person] of [
    ["another person of the portal", BOB],
    ["the same sub in another portal", EVE],
  ] as const) {
    test(`${label}: 404 on every route, identical to an unknown reference, even with Ada's ETag`, async () => {
      for (const route of routes) {
        const theirs = await fetch(`${base}${route.path(adaRef)}`, {
          method: route.method,
          headers: bearer(person),
        });
        const unknown = await fetch(`${base}${route.path("BA-ZZZZZZZZ")}`, {
          method: route.method,
          headers: bearer(person),
        });
        expect([theirs.status, unknown.status]).toEqual([404, 404]);
        expect(strip(await theirs.json())).toEqual(strip(await unknown.json()));
      }
      const conditional = await fetch(`${base}/v1/actions/${adaRef}`, {
        headers: { ...bearer(person), "if-none-match": adaEtag },
      });
      expect(conditional.status).toBe(404);
      await conditional.arrayBuffer();
      const lower = await fetch(`${base}/v1/actions/${adaRef.toLowerCase()}`, { headers: bearer(person) });
      expect(lower.status).toBe(404);
      await lower.arrayBuffer();
      const list = (await (
        await fetch(`${base}/v1/actions?limit=100`, { headers: bearer(person) })
      ).json()) as {
        items: View[];
      };
      expect(list.items.map((a) => a.referenceId)).not.toContain(adaRef);
      // Their stream, replayed from the start, carries nothing of Ada's.
      const controller = new AbortController();
      const stream = await fetch(`${base}/v1/events`, {
        headers: { ...bearer(person), "last-event-id": "0" },
        signal: controller.signal,
      });
      const reader = stream.body!.getReader();
      let text = "";
      const deadline = Date.now() + 1_000;
      while (Date.now() < deadline) {
        const next = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
        if (!next || next.done) break;
        text += new TextDecoder().decode(next.value);
      }
      controller.abort();
      expect(text).not.toContain(adaRef);
      await healthy();
    });
  }

  test("the owner reaches her action through a typed-in variant (lower case, O for 0)", async () => {
    const res = await fetch(`${base}/v1/actions/${adaRef.toLowerCase().replace(/0/g, "o")}`, {
      headers: bearer(ADA),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as View).referenceId).toBe(adaRef);
  });

  for (const odd of [
    "..%2F..%2Fetc%2Fpasswd",
    "BA-%00%00%00%00",
    "BA-%E2%80%AE1234567",
    `BA-${"A".repeat(10_000)}`,
    "%27%20OR%201%3D1%20--",
    "BA-*",
  ]) {
    test(`an odd reference ${JSON.stringify(odd.slice(0, 30))}: 404 problem+json`, async () => {
      const res = await fetch(`${base}/v1/actions/${odd}`, { headers: bearer(ADA) });
      expect(res.status).toBe(404);
      await problemOf(res);
      await healthy();
    });
  }
});

describe("hostile parameters on streams and lists: 400, 405", () => {
  const cases: [string, string, Record<string, string>, number][] = [
    ["Last-Event-ID not a number", "/v1/events", { "last-event-id": "abc" }, 400],
    ["Last-Event-ID negative", "/v1/events", { "last-event-id": "-1" }, 400],
    ["Last-Event-ID in exponent form", "/v1/events", { "last-event-id": "1e3" }, 400],
    ["Last-Event-ID of 20 digits", "/v1/events", { "last-event-id": "9".repeat(20) }, 400],
    ["lastEventId query not a number", "/v1/events?lastEventId=%27%3B--", {}, 400],
    ["a forged cursor", "/v1/actions?cursor=!!!", {}, 400],
    ["a cursor of another number", `/v1/actions?cursor=${Buffer.from("-5").toString("base64url")}`, {}, 400],
    ["limit 0", "/v1/actions?limit=0", {}, 400],
    ["limit 100,000,000", "/v1/actions?limit=100000000", {}, 400],
    ["an unknown status filter", "/v1/actions?status=pwned", {}, 400],
  ];
  for (const [name, path, headers, status] of cases) {
    test(`${name}: ${status}`, async () => {
      const res = await fetch(`${base}${path}`, { headers: { ...bearer(ADA), ...headers } });
      expect(res.status).toBe(status);
      await problemOf(res);
      await healthy();
    });
  }
  for (const [method, path] of [
    ["PUT", "/v1/actions"],
    ["DELETE", "/v1/actions/BA-ZZZZZZZZ"],
    ["PATCH", "/v1/events"],
  ] as const) {
    test(`${method} ${path}: 405 with Allow`, async () => {
      const res = await fetch(`${base}${path}`, { method, headers: bearer(ADA) });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBeTruthy();
      await problemOf(res);
    });
  }
});

/** A raw HTTP/1.1 exchange over one socket: `send` drives the writes; resolves with what came back. */
function rawExchange(port: number, send: (socket: Socket) => Promise<void>, timeoutMs = 30_000) {
  return new Promise<{ text: string; error: string | null }>((resolve) => {
    let text = "";
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, error });
    };
    const socket = connect(port, "127.0.0.1", () => {
      send(socket).catch((error: Error) => {
        if (!text) finish(error.message);
      });
    });
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      if (/\r\n\r\n/.test(text) && /content-length: 0|\r\n\r\n[\s\S]*\}$/i.test(text)) finish(null);
    });
    socket.on("error", (error) => finish(text ? null : error.message));
    socket.on("close", () => finish(null));
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
  });
}

const writeAsync = (socket: Socket, data: string | Uint8Array) =>
  new Promise<void>((resolve, reject) => {
    if (socket.destroyed) return reject(new Error("socket closed"));
    socket.write(data, (error) => (error ? reject(error) : resolve()));
  });

/** Meanwhile, another person's requests: every answer's latency (ms) and any failure. */
function othersMeanwhile() {
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const [health, list] = await Promise.all([
          fetch(`${base}/healthz`),
          fetch(`${base}/v1/actions?limit=5`, { headers: bearer(BOB) }),
        ]);
        if (health.status !== 200 || list.status !== 200) failures.push(`${health.status}/${list.status}`);
        await Promise.all([health.arrayBuffer(), list.arrayBuffer()]);
      } catch (error) {
        failures.push(String(error));
      }
      latencies.push(performance.now() - t0);
      await Bun.sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      latencies.sort((a, b) => a - b);
      return { latencies, failures };
    },
  };
}

describe("oversized and slow bodies", () => {
  const limit = Number(CORPUS_LIMITS.MAX_UPLOAD_BYTES);

  test("a body over MAX_UPLOAD_BYTES with its Content-Length: 413 problem+json, at once", async () => {
    const others = othersMeanwhile();
    const body = new Uint8Array(limit + 1024 * 1024).fill(0x61);
    const t0 = performance.now();
    const res = await fetch(`${base}/v1/actions`, {
      method: "POST",
      body,
      headers: { ...bearer(ADA), "content-type": "multipart/form-data; boundary=x" },
    });
    const ms = performance.now() - t0;
    expect(res.status).toBe(413);
    expect(((await problemOf(res)) as { type?: string }).type).toBe("/problems/too-large");
    const { latencies, failures } = await others.stop();
    log(
      `hostile: 413 for a ${Math.round(body.length / 1048576)} MiB body in ${Math.round(ms)} ms; others' p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
    expect(failures).toEqual([]);
    await healthy();
  }, 60_000);

  test("a chunked body (no Content-Length) growing past MAX_UPLOAD_BYTES: 413 once the limit is passed", async () => {
    const others = othersMeanwhile();
    const port = Number(new URL(base).port);
    const chunk = new Uint8Array(1024 * 1024).fill(0x62);
    let sent = 0;
    const { text, error } = await rawExchange(port, async (socket) => {
      await writeAsync(
        socket,
        `POST /v1/actions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer(ADA).authorization}\r\nContent-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      while (sent < limit * 2) {
        await writeAsync(socket, `${chunk.length.toString(16)}\r\n`);
        await writeAsync(socket, chunk);
        await writeAsync(socket, "\r\n");
        sent += chunk.length;
      }
      await writeAsync(socket, "0\r\n\r\n");
    });
    const { failures } = await others.stop();
    log(
      `hostile: chunked upload stopped after ${Math.round(sent / 1048576)} MiB: ${text.split("\r\n")[0] || error}`,
    );
    expect(text.split("\r\n")[0]).toBe("HTTP/1.1 413 Payload Too Large");
    expect(text).toContain("application/problem+json");
    expect(sent).toBeLessThanOrEqual(limit * 2);
    expect(failures).toEqual([]);
    await healthy();
  }, 60_000);

  test("an upload trickled over 4 s does not hold up anyone else, and is then accepted", async () => {
    const port = Number(new URL(base).port);
    const boundary = "TRICKLE";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nuser_upload\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\nemail,first_name\n${Array.from({ length: 40 }, (_, i) => `slow${i}@example.com,Slow`).join("\n")}\n\r\n--${boundary}--\r\n`;
    const others = othersMeanwhile();
    const t0 = performance.now();
    const { text } = await rawExchange(port, async (socket) => {
      await writeAsync(
        socket,
        `POST /v1/actions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer(ADA).authorization}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
      );
      const pieces = 40;
      const size = Math.ceil(body.length / pieces);
      for (let i = 0; i < pieces; i++) {
        await writeAsync(socket, body.slice(i * size, (i + 1) * size));
        await Bun.sleep(100);
      }
    });
    const elapsed = performance.now() - t0;
    const { latencies, failures } = await others.stop();
    log(
      `hostile: trickled upload answered after ${Math.round(elapsed)} ms; meanwhile ${latencies.length} other rounds, p50 ${percentile(latencies, 50).toFixed(1)} ms, max ${(latencies.at(-1) ?? 0).toFixed(1)} ms`,
    );
    expect(text.split("\r\n")[0]).toBe("HTTP/1.1 202 Accepted");
    expect(elapsed).toBeGreaterThan(3_500);
    expect(failures).toEqual([]);
    // Others kept being answered during the trickle (a blocked server answers one round in all); their
    // latencies are logged above, not asserted: on a busy machine any bound is a coin toss.
    expect(latencies.length).toBeGreaterThanOrEqual(5);
    await healthy();
  }, 60_000);

  test("50 connections trickling their headers (slowloris) do not hold up anyone else", async () => {
    const port = Number(new URL(base).port);
    const others = othersMeanwhile();
    const head = `GET /v1/actions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer(ADA).authorization}\r\nX-Slow: `;
    const sockets: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write(head);
      sockets.push(socket);
    }
    for (let tick = 0; tick < 15; tick++) {
      for (const socket of sockets) if (!socket.destroyed) socket.write("a");
      await Bun.sleep(200);
    }
    for (const socket of sockets) socket.destroy();
    const { latencies, failures } = await others.stop();
    log(
      `hostile: 50 slowloris sockets for 3 s; others p50 ${percentile(latencies, 50).toFixed(1)} ms, max ${(latencies.at(-1) ?? 0).toFixed(1)} ms`,
    );
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThanOrEqual(5);
    await healthy();
  }, 30_000);
});

describe("after the whole corpus", () => {
  test("the process is alive, answers, and its memory stayed within bounds", async () => {
    await healthy();
    await Bun.sleep(1_000);
    const rssAfter = rssMiB(server.pid);
    log(
      `hostile: server RSS before the corpus ${rssBefore} MiB, after ${rssAfter} MiB (${(rssAfter - rssBefore).toFixed(1)} MiB more)`,
    );
    expect(rssAfter).toBeLessThan(rssBefore + 250);
  });
});
