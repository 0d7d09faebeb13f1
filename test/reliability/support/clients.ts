/**
 * The test's side of load-client.ts: spawns a client process, waits for it to be ready, sends it
 * commands and reads its results; and the check of what streams received against the event log.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { sql } from "drizzle-orm";
import type { Db } from "../../../src/db/client";
import { BUN, type Cluster, ROOT } from "./harness";
import type { ClientConfig, ClientResult, StreamResult } from "./load-client";

export interface ClientProcess {
  pid: number;
  ready: { ready: boolean; streams: number; pollers: number };
  stopPolls(): Promise<void>;
  finish(heads: Record<string, number>, timeoutMs?: number): Promise<ClientResult>;
}

export async function startClient(
  cluster: Cluster,
  dir: string,
  name: string,
  config: Omit<ClientConfig, "out">,
  readyTimeoutMs = 90_000,
): Promise<ClientProcess> {
  const out = join(dir, `${name}.result.json`);
  const path = join(dir, `${name}.config.json`);
  writeFileSync(path, JSON.stringify({ ...config, out }));
  const proc = Bun.spawn([BUN, resolve(ROOT, "test/reliability/support/load-client.ts"), path], {
    cwd: ROOT,
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "20000" },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const output: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      output.push(decoder.decode(chunk).slice(0, 400));
      if (output.length > 20) output.shift();
    }
  })();
  // The cluster kills it with everything else if the test fails.
  cluster.children.push({
    proc,
    pid: proc.pid,
    role: `client:${name}`,
    url: null,
    output,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async kill9() {
      proc.kill(9);
      await proc.exited;
    },
    async stop() {
      proc.kill(9);
      await proc.exited;
    },
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    test: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          for (const w of [...waiters]) {
            if (w.test(line)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(line);
            }
          }
        } catch {
          // not a protocol line
        }
      }
    }
  })();
  const waitLine = (what: string, test: (l: Record<string, unknown>) => boolean, timeoutMs: number) => {
    const seen = lines.find(test);
    if (seen) return Promise.resolve(seen);
    return Promise.race([
      new Promise<Record<string, unknown>>((resolveLine) => waiters.push({ test, resolve: resolveLine })),
      Bun.sleep(timeoutMs).then(() => {
        throw new Error(`client ${name}: timed out waiting for ${what}`);
      }),
      proc.exited.then((code) => {
        throw new Error(`client ${name} exited (${code}) while waiting for ${what}:\n${output.join("")}`);
      }),
    ]);
  };
  const send = (command: object) => {
    proc.stdin.write(`${JSON.stringify(command)}\n`);
    proc.stdin.flush();
  };
  const ready = (await waitLine("ready", (l) => "ready" in l, readyTimeoutMs)) as ClientProcess["ready"];
  return {
    pid: proc.pid,
    ready,
    async stopPolls() {
      send({ cmd: "stop-polls" });
      await waitLine("polls stopped", (l) => "pollsStopped" in l, 30_000);
    },
    async finish(heads, timeoutMs = 20_000) {
      send({ cmd: "finish", heads, timeoutMs });
      await waitLine("done", (l) => "done" in l, timeoutMs + 30_000);
      await proc.exited;
      return (await Bun.file(out).json()) as ClientResult;
    },
  };
}

/** Each owner's event ids in the log, ascending (`portal|sub` → ids). */
export async function eventLogByOwner(db: Db): Promise<Map<string, number[]>> {
  const rows = await db.all<{ owner: string; id: number }>(
    sql`SELECT portal_id || '|' || requester_id AS owner, id FROM action_events ORDER BY id`,
  );
  const byOwner = new Map<string, number[]>();
  for (const { owner, id } of rows) {
    const list = byOwner.get(owner);
    if (list) list.push(id);
    else byOwner.set(owner, [id]);
  }
  return byOwner;
}

export interface StreamVerdict {
  streams: number;
  eventsReceived: number;
  eventsExpected: number;
  missed: number;
  duplicates: number;
  outOfOrder: number;
  notCaughtUp: number;
  badFrames: number;
  /** A few examples, for the failure message. */
  examples: string[];
}

/** The verdict's fault counts, each of which a passing run has at zero. */
export const faultsOf = (v: StreamVerdict) => ({
  missed: v.missed,
  duplicates: v.duplicates,
  outOfOrder: v.outOfOrder,
  notCaughtUp: v.notCaughtUp,
  badFrames: v.badFrames,
});

/**
 * Compares what every stream received with the log: each stream must have exactly the owner's events
 * after its start id, in order, none twice (the head is the last id when the streams were finished).
 */
export function compareWithLog(streams: StreamResult[], log: Map<string, number[]>): StreamVerdict {
  const verdict: StreamVerdict = {
    streams: streams.length,
    eventsReceived: 0,
    eventsExpected: 0,
    missed: 0,
    duplicates: 0,
    outOfOrder: 0,
    notCaughtUp: 0,
    badFrames: 0,
    examples: [],
  };
  for (const [index, s] of streams.entries()) {
    const all = log.get(s.owner) ?? [];
    const expected = all.filter((id) => id > s.startId);
    verdict.eventsExpected += expected.length;
    verdict.eventsReceived += s.ids.length;
    verdict.badFrames += s.badFrames;
    if (!s.caughtUp) verdict.notCaughtUp++;
    const seen = new Set<number>();
    let previous = -1;
    for (const id of s.ids) {
      if (seen.has(id)) verdict.duplicates++;
      if (id <= previous) verdict.outOfOrder++;
      seen.add(id);
      previous = Math.max(previous, id);
    }
    const missing = expected.filter((id) => !seen.has(id));
    verdict.missed += missing.length;
    if ((missing.length > 0 || seen.size !== s.ids.length) && verdict.examples.length < 5) {
      verdict.examples.push(
        `stream ${index} (${s.owner}, start ${s.startId}, ${s.reconnects} reconnects): missing ${missing
          .slice(0, 5)
          .join(",")}; got ${s.ids.length}, expected ${expected.length}`,
      );
    }
  }
  return verdict;
}

/** The head (latest event id) of each owner in the log. */
export function headsOf(log: Map<string, number[]>): Record<string, number> {
  return Object.fromEntries([...log].map(([owner, ids]) => [owner, ids.at(-1) ?? 0]));
}
