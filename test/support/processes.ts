/** Real tracker processes (`bun src/main.ts`) for multi-process and crash tests. */
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { TEST_SECRET } from "./env";

const root = resolve(import.meta.dir, "../..");
const bun = resolve(root, "node_modules/.bin/bun");

/** The environment of a tracker process started by a test: test secret, no mail, no rate limit. */
export function trackerEnv(env: Record<string, string>): Record<string, string | undefined> {
  return {
    ...process.env,
    AUTH_SECRET: TEST_SECRET,
    NODE_ENV: "test",
    RESEND_API_KEY: "",
    RATE_LIMIT_ACTIONS: "100000",
    MAX_UPLOADS_PER_PERSON: "1000",
    MAX_UPLOADS: "1000",
    ...env,
  };
}

export function spawnTracker(env: Record<string, string>): Subprocess {
  return Bun.spawn([bun, "src/main.ts"], {
    cwd: root,
    env: trackerEnv(env),
    stdout: "ignore",
    stderr: "inherit",
  });
}

/** Starts an api process on a free port and resolves once it serves, with its URL. */
export async function spawnApi(env: Record<string, string>): Promise<{ proc: Subprocess; url: string }> {
  const proc = Bun.spawn([bun, "src/main.ts"], {
    cwd: root,
    env: trackerEnv({ PORT: "0", ...env }),
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const match = /"url":"(http:\/\/localhost:\d+)"/.exec(text);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read()).done) {}
      })();
      return { proc, url: match[1]!.replace("localhost", "127.0.0.1") };
    }
  }
  proc.kill(9);
  throw new Error(`api process did not start: ${text.slice(0, 500)}`);
}

/** Polls `check` every 25 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}
