/** Temp folders, configs and tokens for tests: a real database file per test, never a mock. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, parseConfig } from "../../src/config";
import { signToken } from "../../src/http/auth";

export const TEST_SECRET = "test-secret-0123456789abcdef-0123456789";

export function tempDir(prefix = "tracker-test-"): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A config on a fresh database file in `dir`, with any environment overrides. */
export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  return parseConfig({
    DATABASE_URL: `file:${join(dir, "tracker.db")}`,
    AUTH_SECRET: TEST_SECRET,
    PORT: "0",
    // Tests start many actions quickly; the limit itself is tested with a small value.
    RATE_LIMIT_ACTIONS: "100000",
    MAX_UPLOADS_PER_PERSON: "1000",
    MAX_UPLOADS: "1000",
    ...env,
  });
}

export interface Person {
  sub: string;
  portal: string;
  role: "admin" | "manager" | "instructor" | "learner";
  email: string;
  name: string;
}

export const ADA: Person = {
  sub: "u-1",
  portal: "p1",
  role: "admin",
  email: "ada@example.com",
  name: "Ada Admin",
};
export const BOB: Person = {
  sub: "u-2",
  portal: "p1",
  role: "manager",
  email: "bob@example.com",
  name: "Bob Manager",
};
/** Same `sub` as Ada, another portal: must never see Ada's actions. */
export const EVE: Person = {
  sub: "u-1",
  portal: "p2",
  role: "admin",
  email: "eve@example.com",
  name: "Eve Elsewhere",
};
export const LEO: Person = {
  sub: "u-9",
  portal: "p1",
  role: "learner",
  email: "leo@example.com",
  name: "Leo Learner",
};

export function tokenFor(person: Person, extra: Record<string, unknown> = {}, secret = TEST_SECRET): string {
  return signToken({ ...person, ...extra }, secret);
}

export const bearer = (person: Person, extra: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${tokenFor(person, extra)}`,
});

/**
 * Signs `person` in as the page does (`POST /v1/session` with a token that has an `exp`) through
 * `request` (an app's or a server's), and returns the `Cookie` header value that carries the session.
 */
export async function sessionCookie(
  request: (path: string, init?: RequestInit) => Response | Promise<Response>,
  person: Person,
  nowMs = Date.now(),
  url = "/v1/session",
): Promise<string> {
  const token = tokenFor(person, { exp: Math.floor(nowMs / 1000) + 3600 });
  const res = await request(url, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`POST /v1/session answered ${res.status}: ${await res.text()}`);
  const id = /tracker_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (!id) throw new Error("POST /v1/session set no cookie");
  return `tracker_session=${id}`;
}
