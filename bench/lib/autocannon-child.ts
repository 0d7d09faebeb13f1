/**
 * The autocannon fallback of the HTTP load, in its own process so that the load generator does not share
 * an event loop with the orchestrator. Prints a LoadResult as JSON.
 * Usage: bun bench/lib/autocannon-child.ts '<LoadOptions as JSON>'
 */
import autocannon from "autocannon";
import type { LoadOptions, LoadResult } from "./load";
import { exitWithParent } from "./watchdog";

exitWithParent();

const options = JSON.parse(process.argv[2] ?? "{}") as LoadOptions;
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.durationSec,
  headers: options.headers,
});
const out: LoadResult = {
  requests: result.requests.total,
  rps: result.requests.average,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  errors: result.errors + result.timeouts,
  // autocannon's own non2xx counts the 304s of the If-None-Match path; count only 4xx and 5xx.
  non2xx: result["4xx"] + result["5xx"],
};
console.log(JSON.stringify(out));
