/**
 * Wrangler's `[build]` command (wrangler.toml): bundles the page's script with Bun, as the Bun process
 * does at start, into build/client-bundle.js, a module that `#client-bundle` resolves to in Workers
 * (package.json "imports", condition "workerd"), so the worker serves the same bytes under the same hash.
 *   bun scripts/build-client.ts [out-file]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { buildClient } from "../src/ui/bundle/build";

export const PREBUILT_CLIENT = resolve(import.meta.dir, "../build/client-bundle.js");

const out = resolve(process.argv[2] ?? PREBUILT_CLIENT);
const bundle = await buildClient();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `// Built by scripts/build-client.ts: do not edit.\nconst bundle = ${JSON.stringify(bundle)};\nexport const clientBundle = () => Promise.resolve(bundle);\n`,
);
console.log(`page script: ${bundle.script.length} bytes -> ${out}`);
