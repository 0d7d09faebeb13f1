/**
 * An api process restarted under 500 open streams (50 people × 10 streams, from a separate client
 * process): once killed with SIGKILL and once stopped with SIGTERM, each time replaced by a new process on
 * the same address while a worker keeps changing actions. Every stream reconnects with Last-Event-ID, as
 * EventSource does, and in the end has received exactly its owner's events from the log after its start:
 * no gap, no duplicate, in order.
 */
import { afterAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { bearer, type Person, tokenFor } from "../support/env";
import { usersCsv } from "../support/users-csv";
import { compareWithLog, eventLogByOwner, faultsOf, headsOf, startClient } from "./support/clients";
import { type Child, Cluster, FULL, freePort, log, sharedDatabase, until } from "./support/harness";

const PEOPLE = 50;
const STREAMS_PER_PERSON = 10;
const ROWS = FULL ? 20_000 : 8_000;

const cluster = new Cluster();
afterAll(() => cluster.cleanup());

const people: Person[] = Array.from({ length: PEOPLE }, (_, i) => ({
  sub: `s-${i}`,
  portal: `sp-${i % 5}`,
  role: "admin",
  email: `s${i}@example.com`,
  name: `Streamer ${i}`,
}));
const ownerOf = (p: Person) => `${p.portal}|${p.sub}`;

test(`an api restarted twice under ${PEOPLE * STREAMS_PER_PERSON} open streams: every stream resumes without a gap or a duplicate`, async () => {
  const dir = cluster.tempDir();
  const { url, database } = await sharedDatabase(cluster, dir);
  const { db } = database;
  const port = String(freePort());
  const apiEnv = { DATABASE_URL: url, ROLE: "api", PORT: port, MAX_STREAMS_PER_PERSON: "20" };
  let api: Child = await cluster.start(apiEnv);
  const base = api.url!;
  await cluster.start({ DATABASE_URL: url, ROLE: "worker", PORTAL_CONCURRENCY: "4" });

  let wave = 0;
  /** Every person starts one upload; answers once all are accepted (retrying while the api is down). */
  const submitWave = async (rows: number) => {
    wave++;
    const refs: string[] = [];
    await Promise.all(
      people.map(async (person, i) => {
        const csv = usersCsv(rows, `w${wave}-${i}-`).csv;
        for (let attempt = 0; ; attempt++) {
          const form = new FormData();
          form.set("type", "user_upload");
          form.set("file", new File([csv], `wave-${wave}.csv`));
          try {
            const res = await fetch(`${base}/v1/actions`, {
              method: "POST",
              body: form,
              headers: { ...bearer(person), "idempotency-key": `wave-${wave}` },
            });
            if (res.status === 202) {
              refs.push(((await res.json()) as { referenceId: string }).referenceId);
              return;
            }
            throw new Error(`status ${res.status}`);
          } catch (error) {
            if (attempt > 100) throw error;
            await Bun.sleep(100);
          }
        }
      }),
    );
    return refs;
  };
  const allEnded = () =>
    until(
      "every action to end",
      async () =>
        (await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM actions WHERE completed_at IS NULL`))[0]!
          .n === 0,
      90_000,
      100,
    ).catch(async (error) => {
      const states = await db.all(
        sql`SELECT status, count(*) AS n, max(attempts) AS attempts FROM actions GROUP BY status`,
      );
      throw new Error(
        `${error.message}: ${JSON.stringify(states)}\n${cluster.children.map((c) => `${c.role} ${c.pid} alive=${c.alive()}\n${c.output.slice(-8).join("\n")}`).join("\n")}`,
      );
    });

  // History the resuming streams replay from the start.
  await submitWave(200);
  await allEnded();
  log("crash.streams: history written");

  const client = await startClient(cluster, dir, "streams", {
    url: base,
    streams: people.flatMap((person) =>
      Array.from({ length: STREAMS_PER_PERSON }, (_, k) => ({
        token: tokenFor(person),
        owner: ownerOf(person),
        resume: k % 2 === 0,
      })),
    ),
    polls: [],
    pollIntervalMs: 1_000,
  });
  expect(client.ready.streams).toBe(PEOPLE * STREAMS_PER_PERSON);

  // Restart 1: SIGKILL while a wave runs; the worker goes on writing events meanwhile. (The uploads are
  // all accepted first: an upload cut while staging is another matter, see crash.transaction.test.ts.)
  await submitWave(ROWS);
  const headAt = async () =>
    (await db.all<{ id: number }>(sql`SELECT coalesce(max(id), 0) AS id FROM action_events`))[0]!.id;
  const beforeKill = await headAt();
  await api.kill9();
  await Bun.sleep(1_000);
  const whileDown = (await headAt()) - beforeKill;
  api = await cluster.start(apiEnv);

  // Restart 2: a graceful stop (SIGTERM) with the streams open, while the next wave runs.
  await submitWave(ROWS);
  const stopped = Date.now();
  api.proc.kill(15);
  const exit = await Promise.race([api.proc.exited, Bun.sleep(5_000).then(() => "hung" as const)]);
  const stopMs = Date.now() - stopped;
  if (exit === "hung") await api.kill9();
  await Bun.sleep(300);
  api = await cluster.start(apiEnv);
  // A last wave after both restarts, live.
  await submitWave(50);
  await allEnded();

  const logByOwner = await eventLogByOwner(db);
  const result = await client.finish(headsOf(logByOwner), 20_000);
  const verdict = compareWithLog(result.streams, logByOwner);
  const reconnects = result.streams.map((s) => s.reconnects);
  const statusErrors = result.streams.flatMap((s) => s.errors.filter((e) => e.startsWith("status")));
  log(
    `crash.streams: ${verdict.streams} streams, ${verdict.eventsReceived} events received of ${verdict.eventsExpected} expected; ` +
      `missed ${verdict.missed}, duplicates ${verdict.duplicates}; reconnects per stream ${Math.min(...reconnects)}–${Math.max(...reconnects)}; ` +
      `${whileDown} events written while the api was down; SIGTERM exit after ${stopMs} ms (${exit === "hung" ? "hung, killed" : `code ${exit}`})`,
  );
  expect(verdict.examples).toEqual([]);
  expect(faultsOf(verdict)).toEqual({
    missed: 0,
    duplicates: 0,
    outOfOrder: 0,
    notCaughtUp: 0,
    badFrames: 0,
  });
  expect(verdict.eventsExpected).toBeGreaterThan(PEOPLE * STREAMS_PER_PERSON * 3);
  expect(statusErrors).toEqual([]);
  // Both restarts were lived through by every stream.
  expect(Math.min(...reconnects)).toBeGreaterThanOrEqual(2);
  expect(whileDown).toBeGreaterThan(0);
  expect(exit).toBe(0);
}, 180_000);
