/**
 * `#client-bundle` in the Bun process (package.json "imports"): the page's script and styles, built by
 * Bun.build once per process. An api process starts the build once it is set up (process.ts), so it runs
 * (~50–90 ms, on Bun's own threads) beside the server's start rather than before it; else the first
 * request of the page does.
 * Workers resolve the same import to the module `wrangler deploy` prebuilt (scripts/build-client.ts).
 */
import { buildClient, type ClientBundle } from "./build";

let built: Promise<ClientBundle> | null = null;

export function clientBundle(): Promise<ClientBundle> {
  if (!built) {
    built = buildClient();
    // A failed build fails the page's requests (with the build's message), not the whole process.
    built.catch(() => {});
  }
  return built;
}
