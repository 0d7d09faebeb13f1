/** Development only: a ready-made admin token and how to use it, printed at start-up. */
import type { Config } from "../config";
import { signToken } from "../http/auth";

export const DEMO_ADMIN = {
  sub: "demo-admin",
  portal: "demo",
  role: "admin",
  email: "ada@example.com",
  name: "Ada Admin",
} as const;

export function devSignInHint(config: Config, port: number): string {
  const token = signToken(
    { ...DEMO_ADMIN, exp: Math.floor(Date.now() / 1000) + 7 * 86_400 },
    config.authSecret,
  );
  return [
    "",
    `  Tracker:   http://localhost:${port}/`,
    `  Sign in:   http://localhost:${port}/dev/sign-in  (demo admin, development only)`,
    `  API token: ${token}`,
    `  Try:       curl -H "Authorization: Bearer $TOKEN" http://localhost:${port}/v1/actions`,
    "",
  ].join("\n");
}
