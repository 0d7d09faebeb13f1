/**
 * `#client-bundle` in the Bun process (package.json "imports"): the page's script and styles, built by
 * Bun.build once per process. main.ts starts the build as soon as the server listens (off the path to the
 * first answered request; it takes ~50–90 ms on its own threads); otherwise the page's first request does.
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
