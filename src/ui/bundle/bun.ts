/**
 * `#client-bundle` in the Bun process (package.json "imports"): the page's script, built by Bun.build
 * once per process, starting as soon as the app is loaded, so it is ready by the page's first request.
 * Workers resolve the same import to the module `wrangler deploy` prebuilt (scripts/build-client.ts).
 */
import { buildClient, type ClientBundle } from "./build";

const built = buildClient();
// A failed build fails the page's requests (with the build's message), not the whole process.
built.catch(() => {});

export const clientBundle = (): Promise<ClientBundle> => built;
