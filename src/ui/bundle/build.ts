/**
 * Bun's bundler turns the client modules (../client/, entry main.ts) into the page's one script:
 * minified, in an IIFE (the page loads it as a classic deferred script), with no source map. The same
 * inputs give the same bytes, so the Bun process and the edge build serve the same file under the same
 * content hash. Bun only: never imported by the worker bundle.
 */
import { resolve } from "node:path";

export const CLIENT_ENTRY = resolve(import.meta.dir, "../client/main.ts");

/** What the page needs from the build. */
export interface ClientBundle {
  script: string;
}

export async function buildClient(): Promise<ClientBundle> {
  const result = await Bun.build({
    entrypoints: [CLIENT_ENTRY],
    target: "browser",
    format: "iife",
    minify: true,
    sourcemap: "none",
    banner: '"use strict";',
  });
  const output = result.outputs.find((file) => file.kind === "entry-point");
  if (!result.success || !output) {
    throw new AggregateError(result.logs, `The page's script did not build: ${result.logs.join("\n")}`);
  }
  return { script: await output.text() };
}
