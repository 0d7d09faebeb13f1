/**
 * Prints a signed access token for development and tests:
 *   npm run token                      # the demo admin: the person of the development sign-in link
 *   npm run token -- --sub u-2 --portal p1 --role manager --email b@example.com --name "Bo" [--ttl 7d]
 * Each claim not given is the demo admin's, so what a default token starts shows on the page after
 * /dev/sign-in. Signs with AUTH_SECRET, or the development default the server also uses when it is unset.
 */
import { parseArgs } from "node:util";
import { DEV_AUTH_SECRET } from "../src/config";
import { DEMO_ADMIN } from "../src/dev/sign-in-hint";
import { signToken } from "../src/http/auth";
import { parseDuration } from "../src/lib/duration";

const { values } = parseArgs({
  options: {
    sub: { type: "string", default: DEMO_ADMIN.sub },
    portal: { type: "string", default: DEMO_ADMIN.portal },
    role: { type: "string", default: DEMO_ADMIN.role },
    email: { type: "string", default: DEMO_ADMIN.email },
    name: { type: "string", default: DEMO_ADMIN.name },
    ttl: { type: "string", default: "7d" },
  },
});
const ttlMs = parseDuration(values.ttl!);
if (!ttlMs) {
  console.error("--ttl must be a duration such as 90s, 2h or 7d");
  process.exit(1);
}
const { ttl: _ttl, ...claims } = values;
console.log(
  signToken(
    { ...claims, exp: Math.floor((Date.now() + ttlMs) / 1000) },
    process.env.AUTH_SECRET || DEV_AUTH_SECRET,
  ),
);
