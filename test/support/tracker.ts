/**
 * An in-process tracker for route and engine tests: real database file, real app (`app.request`, every
 * answer held against the OpenAPI document),
 * a ManualClock, and the engine driven explicitly (`drain`) instead of by timers.
 */
import type { ActionView } from "../../src/actions/view";
import { promoteDueActions } from "../../src/engine/clocks";
import { handlers } from "../../src/engine/handlers";
import type { RunDeps } from "../../src/engine/run-action";
import { ManualClock } from "../../src/lib/clock";
import { startProcess } from "../../src/process";
import { checkedRequest } from "./contract";
import { bearer, type Person, tempDir, testConfig } from "./env";

export async function startTestTracker(env: Record<string, string> = {}) {
  const dir = tempDir();
  const clock = new ManualClock(Date.now());
  const config = testConfig(dir.path, { ROLE: "api", ...env });
  const tracker = await startProcess(config, { clock, log: () => {}, workerId: "test-worker" });
  // Every answer is checked against the OpenAPI document (contract.ts).
  const request = checkedRequest((path, init) => tracker.app.request(path, init));
  return {
    tracker,
    clock,
    config,
    dir: dir.path,
    db: tracker.services.db,
    request,
    /** Promotes what is due and runs the engine until nothing is left to do. */
    async drain() {
      await promoteDueActions(tracker.services.db, clock.now());
      await tracker.runner.runUntilIdle();
      // Polls answer from the tail-fed cache: let the tail catch up, as it would within ~100 ms.
      await tracker.tail.pollOnce();
    },
    async stop() {
      await tracker.stop();
      dir.cleanup();
    },
  };
}

export type TestTracker = Awaited<ReturnType<typeof startTestTracker>>;

/** POSTs a CSV upload as multipart/form-data. */
export function uploadCsv(
  t: Pick<TestTracker, "request">,
  person: Person,
  csv: string | Uint8Array<ArrayBuffer>,
  fileName = "users.csv",
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  form.set("type", fields.type ?? "user_upload");
  for (const [key, value] of Object.entries(fields)) if (key !== "type") form.set(key, value);
  form.set("file", new File([csv], fileName, { type: "text/csv" }));
  return t.request("/v1/actions", { method: "POST", body: form, headers: { ...bearer(person), ...headers } });
}

export function postJson(
  t: Pick<TestTracker, "request">,
  person: Person,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return t.request("/v1/actions", {
    method: "POST",
    body: JSON.stringify(body),
    headers: { ...bearer(person), "content-type": "application/json", ...headers },
  });
}

/** Polls an action, after letting the event tail catch up with changes made by direct calls. */
export async function getAction(t: Pick<TestTracker, "request" | "tracker">, person: Person, ref: string) {
  await t.tracker.tail.pollOnce();
  const res = await t.request(`/v1/actions/${ref}`, { headers: bearer(person) });
  return (await res.json()) as ActionView;
}

/** The engine's dependencies as the test tracker's runner has them, for driving single slices by hand. */
export function engineDeps(t: TestTracker, overrides: Partial<RunDeps> = {}): RunDeps {
  const { config, tracker, clock } = t;
  return {
    db: tracker.services.db,
    blobs: tracker.services.blobs,
    clock,
    handlers,
    workerId: "manual-worker",
    leaseMs: 30_000,
    publishEveryMs: 0,
    chunksPerRead: 1,
    publicUrl: config.publicUrl,
    reportRetentionMs: config.reportRetentionMs,
    actionTimeoutMs: config.actionTimeoutMs,
    settings: config,
    ...overrides,
  };
}

export function claimOptions(t: TestTracker, workerId: string) {
  return { workerId, now: t.clock.now(), leaseMs: 30_000, portalConcurrency: 10, maxAttempts: 5 };
}
