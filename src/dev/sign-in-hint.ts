/**
 * Development only: the demo admin, who the `/dev/sign-in` link signs in and whose token is printed at
 * start-up (and by `npm run token` without arguments), so what a newcomer starts shows on the page.
 */
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
  const tryAll = port === 8787 ? "" : `TRACKER_URL=http://localhost:${port} `;
  return [
    "",
    `  Tracker:   http://localhost:${port}/`,
    `  Sign in:   http://localhost:${port}/dev/sign-in  (as ${DEMO_ADMIN.name}, the demo admin; development only)`,
    `  API token: ${token}`,
    `             (the same person, as is \`npm run token\`: what you start with it shows on the page)`,
    `  Try:       ${tryAll}bash examples/try-all.sh, npm run demo, or`,
    `             curl -H "Authorization: Bearer $TOKEN" http://localhost:${port}/v1/actions`,
    "",
  ].join("\n");
}
