/**
 * `bash examples/try-all.sh` against a real server, then the development sign-in: the page's person is the
 * person who started the examples, so every action the script printed is in that person's list.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { ActionPage } from "../src/actions/view";
import { TEST_SECRET } from "./support/env";
import { startTestServer, type TestServer } from "./support/server";

const SCRIPT = resolve(import.meta.dir, "../examples/try-all.sh");
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_ACTIONS: "1000" });
});
afterAll(() => server?.stop());

test("the development sign-in shows every action examples/try-all.sh started", async () => {
  const run = Bun.spawn(["bash", SCRIPT], {
    env: { ...process.env, TRACKER_URL: server.url, AUTH_SECRET: TEST_SECRET, TOKEN: "" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 110_000,
  });
  const [out, err, code] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  const started = [...out.matchAll(/^(BA-[0-9A-Z]+) /gm)].map((m) => m[1]!);
  expect(started.length).toBeGreaterThanOrEqual(11);

  // A dry run of the history, then the real run reporting the same; its failed rows, fixed, as a retry.
  const lines = out.split("\n");
  const dry = lines.find((l) => l.includes("(dry run: nothing changed)"))!;
  const real = lines[lines.indexOf(dry) + 1]!;
  expect(dry).toContain("Training history migration   Completed with errors");
  expect(real.replace(/^BA-\w+/, "")).toBe(
    dry.replace(/^BA-\w+/, "").replace("  (dry run: nothing changed)", ""),
  );
  const retry = lines.find((l) => l.includes("(retry of "))!;
  expect(retry).toContain(
    `Completed              2/2 processed, 0 errors, 0 warnings  (retry of ${real.slice(0, 11)})`,
  );

  const signIn = await fetch(`${server.url}/dev/sign-in`, { redirect: "manual" });
  const cookie = /tracker_session=[^;]+/.exec(signIn.headers.get("set-cookie") ?? "")?.[0];
  expect(cookie).toBeDefined();
  const res = await fetch(`${server.url}/v1/actions?limit=200`, { headers: { cookie: cookie! } });
  const listed = ((await res.json()) as ActionPage).items.map((a) => a.referenceId);
  expect(listed).toEqual(expect.arrayContaining(started));
}, 120_000);
