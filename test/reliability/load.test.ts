/**
 * Load, bounded: 2,000 SSE streams (200 people × 10) from one client process and 1,000 pollers
 * (GET /v1/actions/:ref with If-None-Match, about once a second each) from another, against an api
 * process, while a worker process runs 100,000-row uploads back to back and people keep starting small
 * actions — for 30 s (60 s with RELIABILITY_FULL=1). Then: zero errors (no 5xx, no connection reset, no
 * refused stream), zero missed or doubled events on any stream (each compared with the event log), no
 * poll ever showing an older version than an earlier poll, and the uploads exact. Poll latency
 * percentiles are printed, not asserted (this machine is shared with the clients and the worker).
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { bearer, type Person, tokenFor } from "../support/env";
import { usersCsv } from "../support/users-csv";
import { compareWithLog, eventLogByOwner, faultsOf, headsOf, startClient } from "./support/clients";
import {
  Cluster,
  FULL,
  listenOverflows,
  log,
  percentile,
  rssMiB,
  runSeed,
  seededRandom,
  sharedDatabase,
  until,
} from "./support/harness";
import { type CsvUpload, userUpload } from "./support/inputs";
import { differences } from "./support/verify";

const WINDOW_MS = FULL ? 60_000 : 30_000;
const PEOPLE = 200;
const STREAMS_PER_PERSON = 10;
const POLLERS = 1_000;
const UPLOAD_ROWS = 100_000;

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

const people: Person[] = Array.from({ length: PEOPLE }, (_, i) => ({
  sub: `l-${i}`,
  portal: `lp-${i % 10}`,
  role: i % 3 === 0 ? "admin" : "manager",
  email: `l${i}@example.com`,
  name: `Load ${i}`,
}));
const uploader = people[0]!;

test(`${STREAMS_PER_PERSON * PEOPLE} streams and ${POLLERS} pollers for ${WINDOW_MS / 1000} s while 100,000-row uploads run: zero errors, zero missed events`, async () => {
  const random = seededRandom(runSeed("load"));
  const dir = cluster.tempDir();
  const { url, database } = await sharedDatabase(cluster, dir);
  const { db } = database;
  const api = await cluster.start({ DATABASE_URL: url, ROLE: "api" });
  await cluster.start({ DATABASE_URL: url, ROLE: "worker", PORTAL_CONCURRENCY: "4" });

  let small = 0;
  const startSmall = async (person: Person) => {
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File([usersCsv(20, `s${++small}-`).csv], "small.csv"));
    const res = await fetch(`${api.url}/v1/actions`, { method: "POST", body: form, headers: bearer(person) });
    if (res.status !== 202) throw new Error(`small upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { referenceId: string }).referenceId;
  };
  // One action per person to poll.
  const firstRefs: string[] = [];
  for (const person of people) firstRefs.push(await startSmall(person));

  const streams = await startClient(cluster, dir, "streams", {
    url: api.url!,
    streams: people.flatMap((person) =>
      Array.from({ length: STREAMS_PER_PERSON }, (_, k) => ({
        token: tokenFor(person),
        owner: `${person.portal}|${person.sub}`,
        resume: k % 2 === 0,
      })),
    ),
    polls: [],
    pollIntervalMs: 1_000,
  });
  expect(streams.ready.streams).toBe(PEOPLE * STREAMS_PER_PERSON);

  const uploads: { ref: string; upload: CsvUpload }[] = [];
  /** When the api was busy receiving and staging an upload (epoch ms). */
  const staging: [number, number][] = [];
  const startUpload = async () => {
    const upload = userUpload(UPLOAD_ROWS, `big${uploads.length}-`);
    const form = new FormData();
    form.set("type", "user_upload");
    form.set("file", new File([upload.body], upload.fileName));
    const t0 = Date.now();
    const res = await fetch(`${api.url}/v1/actions`, {
      method: "POST",
      body: form,
      headers: bearer(uploader),
    });
    staging.push([t0, Date.now()]);
    expect(res.status).toBe(202);
    const ref = ((await res.json()) as { referenceId: string }).referenceId;
    uploads.push({ ref, upload });
    return ref;
  };
  const bigRef = await startUpload();

  const pollers = await startClient(cluster, dir, "pollers", {
    url: api.url!,
    streams: [],
    polls: Array.from({ length: POLLERS }, (_, i) => {
      const person = people[i % PEOPLE]!;
      // A fifth of the pollers follow the running upload, the others their own person's action.
      const ref = i % 5 === 0 ? bigRef : firstRefs[i % PEOPLE]!;
      return { token: tokenFor(i % 5 === 0 ? uploader : person), ref };
    }),
    pollIntervalMs: 1_000,
  });
  expect(pollers.ready.pollers).toBe(POLLERS);

  // The window: uploads back to back, and small actions from random people, a few a second.
  const overflowsBefore = listenOverflows();
  // A witness on its own connection, from this process: tells a stall of the api from one of the poll client.
  const witness: [number, number, number][] = [];
  let witnessing = true;
  const witnessLoop = (async () => {
    while (witnessing) {
      const at = Date.now();
      const written = storageWrites(api.pid);
      const t0 = performance.now();
      const res = await fetch(`${api.url}/v1/actions/${bigRef}`, { headers: bearer(uploader) });
      await res.arrayBuffer();
      witness.push([at, performance.now() - t0, storageWrites(api.pid) - written]);
      await Bun.sleep(50);
    }
  })();
  const started = Date.now();
  let smallDuringWindow = 0;
  while (Date.now() - started < WINDOW_MS) {
    const [current] = await db.all<{ completed_at: number | null }>(
      sql`SELECT completed_at FROM actions WHERE reference_id = ${uploads.at(-1)!.ref}`,
    );
    if (current!.completed_at) await startUpload();
    await startSmall(people[Math.floor(random() * PEOPLE)]!);
    smallDuringWindow++;
    await Bun.sleep(200);
  }
  await pollers.stopPolls();
  witnessing = false;
  await witnessLoop;
  const overflows = listenOverflows() - overflowsBefore;
  const apiRss = rssMiB(api.pid);
  await until(
    "every action to end",
    async () =>
      (await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM actions WHERE completed_at IS NULL`))[0]!
        .n === 0,
    120_000,
    200,
  );
  const logByOwner = await eventLogByOwner(db);
  const streamResult = await streams.finish(headsOf(logByOwner), 30_000);
  const pollResult = await pollers.finish({}, 1_000);

  const verdict = compareWithLog(streamResult.streams, logByOwner);
  const streamErrors = streamResult.streams.flatMap((s) => s.errors);
  const reconnects = streamResult.streams.reduce((sum, s) => sum + s.reconnects, 0);
  const polls = pollResult.polls;
  const lat = polls.latencies;
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  log(
    `load: ${WINDOW_MS / 1000} s, ${uploads.length} uploads of ${UPLOAD_ROWS.toLocaleString("en-US")} rows, ${smallDuringWindow} small actions; ` +
      `api RSS ${apiRss} MiB\n  polls: ${polls.count} (${Math.round(polls.count / (WINDOW_MS / 1000))}/s), statuses ${JSON.stringify(polls.statuses)}, ` +
      `errors ${polls.errors.length}; latency p50 ${fmt(percentile(lat, 50))}, p90 ${fmt(percentile(lat, 90))}, ` +
      `p99 ${fmt(percentile(lat, 99))}, max ${fmt(lat.at(-1) ?? Number.NaN)}\n  slow polls (> 500 ms, first 500): ${slowSummary(polls.slow, staging)}; ` +
      `${overflows} connections dropped by a full listen queue during the window\n  ` +
      `witness (one poll every 50 ms from the test process): ${witnessSummary(witness, polls.slow)}\n  streams: ${verdict.streams}, ` +
      `${verdict.eventsReceived} events received of ${verdict.eventsExpected} expected, missed ${verdict.missed}, ` +
      `duplicates ${verdict.duplicates}, errors ${streamErrors.length}, reconnects ${reconnects}`,
  );

  expect(polls.errors.slice(0, 5)).toEqual([]);
  expect(Object.keys(polls.statuses).filter((s) => s !== "200" && s !== "304")).toEqual([]);
  expect(polls.versionRegressions).toBe(0);
  expect(polls.count).toBeGreaterThan((POLLERS * WINDOW_MS) / 1_000 / 2);
  expect(streamErrors.slice(0, 5)).toEqual([]);
  expect(verdict.examples).toEqual([]);
  expect(faultsOf(verdict)).toEqual({
    missed: 0,
    duplicates: 0,
    outOfOrder: 0,
    notCaughtUp: 0,
    badFrames: 0,
  });
  const problems: string[] = [];
  for (const { ref, upload } of uploads)
    problems.push(...(await differences(db, api.url!, uploader, ref, upload.expected)));
  expect(problems).toEqual([]);
  expect(api.alive()).toBe(true);
}, 300_000);

/** Slow polls by latency and by second, and how many overlap an upload being staged by the api. */
function slowSummary(slow: [number, number][], staging: [number, number][]): string {
  if (slow.length === 0) return "none";
  const byLatency = new Map<string, number>();
  for (const [, ms] of slow) {
    const bucket = ms < 750 ? "0.5–0.75 s" : ms < 1000 ? "0.75–1 s" : ms < 1500 ? "1–1.5 s" : "≥ 1.5 s";
    byLatency.set(bucket, (byLatency.get(bucket) ?? 0) + 1);
  }
  const first = Math.floor(Math.min(...slow.map(([at]) => at)) / 1000);
  const seconds = new Map<number, number>();
  for (const [at] of slow) {
    const second = Math.floor(at / 1000) - first;
    seconds.set(second, (seconds.get(second) ?? 0) + 1);
  }
  const busiest = [...seconds].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const overlapping = slow.filter(([at, ms]) =>
    staging.some(([from, to]) => at < to && at + ms > from),
  ).length;
  const stagingMs = staging.reduce((sum, [from, to]) => sum + (to - from), 0);
  return (
    `${[...byLatency].map(([k, n]) => `${k}: ${n}`).join(", ")}; in ${seconds.size} distinct seconds, busiest ` +
    `${busiest.map(([sec, n]) => `+${sec}s×${n}`).join(" ")}; ${overlapping} overlap an upload being received and ` +
    `staged by the api (${staging.length} uploads, ${Math.round(stagingMs / 1000)} s of staging in all)`
  );
}

/** Bytes a process has caused to be written to storage (/proc/<pid>/io). */
function storageWrites(pid: number): number {
  try {
    return Number(/write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * The witness's own latencies, whether it was slow when the poll client's polls were, and what the api
 * wrote to storage while the witness waited (a large write during a stall points at a WAL checkpoint
 * run on the api's own thread).
 */
function witnessSummary(witness: [number, number, number][], slow: [number, number][]): string {
  const ms = witness.map(([, m]) => m).sort((a, b) => a - b);
  const stalled = witness.filter(([, m]) => m > 300);
  const together = stalled.filter(([at, m]) => slow.some(([s, sm]) => at < s + sm && at + m > s)).length;
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
  const writes = witness.map(([, , w]) => w).sort((a, b) => a - b);
  return (
    `${witness.length} polls, p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, ` +
    `max ${(ms.at(-1) ?? 0).toFixed(1)} ms; ${stalled.length} over 300 ms, ${together} of them while the poll client saw slow polls; ` +
    `api storage writes per witness poll: median ${mib(percentile(writes, 50))}, during the slow ones ${stalled
      .map(([, m, w]) => `${mib(w)} in ${Math.round(m)} ms`)
      .join(", ")}`
  );
}
