/**
 * Prints a signed access token for development and tests:
 *   npm run token -- --sub u-1 --portal p1 --role admin --email a@example.com --name "Ada" [--ttl 7d]
 * Signs with AUTH_SECRET, or the development default the server also uses when it is unset.
 */
import { parseArgs } from "node:util";
import { DEV_AUTH_SECRET } from "../src/config";
import { signToken } from "../src/http/auth";
import { parseDuration } from "../src/lib/duration";

const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "u-1" },
    portal: { type: "string", default: "p1" },
    role: { type: "string", default: "admin" },
    email: { type: "string", default: "ada@example.com" },
    name: { type: "string", default: "Ada Admin" },
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
