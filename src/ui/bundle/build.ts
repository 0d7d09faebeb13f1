/**
 * Bun's bundler turns the client modules (../client/, entry main.ts) into the page's one script
 * (minified, in an IIFE: the page loads it as a classic deferred script; no source map) and
 * ../client/tracker.css into its one stylesheet. The same inputs give the same bytes, so the Bun process
 * and the edge build serve the same files under the same content hashes. Bun only: never imported by the
 * worker bundle.
 */
import { resolve } from "node:path";

const CLIENT = resolve(import.meta.dir, "../client");

/** What the page needs from the build. */
export interface ClientBundle {
  script: string;
  styles: string;
}

export async function buildClient(): Promise<ClientBundle> {
  const result = await Bun.build({
    entrypoints: [resolve(CLIENT, "main.ts"), resolve(CLIENT, "tracker.css")],
    target: "browser",
    format: "iife",
    minify: true,
    sourcemap: "none",
    banner: '"use strict";',
  });
  const output = (ext: string) => result.outputs.find((file) => file.path.endsWith(ext));
  const [script, styles] = [output(".js"), output(".css")];
  if (!result.success || !script || !styles) {
    throw new AggregateError(result.logs, `The page's script did not build: ${result.logs.join("\n")}`);
  }
  return { script: await script.text(), styles: await styles.text() };
}
