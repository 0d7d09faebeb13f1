/**
 * The page at the edge: the worker that `wrangler deploy --dry-run` builds (its `[build]` step bundling
 * the client with Bun), run by Miniflare in workerd, serves the same shell, script and styles as the Bun
 * process — the same bytes under the same content-hashed paths, with the same headers.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CONTENT_SECURITY_POLICY, trackerPage } from "../src/ui/routes";
import { TEST_SECRET } from "./support/env";
import { type Bundle, buildWorker, type EdgeWorker, startEdgeWorker } from "./support/miniflare";

let bundle: Bundle;
let edge: EdgeWorker;

beforeAll(async () => {
  bundle = await buildWorker();
  edge = await startEdgeWorker(bundle, { AUTH_SECRET: TEST_SECRET });
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  bundle?.cleanup();
});

test("the edge serves the Bun process's page: the same shell, script and styles, byte for byte", async () => {
  const bun = await trackerPage();
  const res = await edge.request("/");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers.get("cache-control")).toBe("no-cache");
  // wrangler.toml sets NODE_ENV=production: the shell without the development sign-in.
  expect(await res.text()).toBe(bun.html.production.body);

  for (const path of [bun.paths.js, bun.paths.css]) {
    const asset = await edge.request(path);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-type")).toBe(bun.byPath.get(path)!.type);
    expect(await asset.text()).toBe(bun.byPath.get(path)!.body);
  }
  const script = bun.byPath.get(bun.paths.js)!.body;
  expect(script.length).toBeGreaterThan(5_000);
  expect(script.startsWith('"use strict";')).toBe(true);

  const stale = await edge.request(bun.paths.js.replace(/\.(\w+)\.js$/, ".0.js"));
  expect(stale.status).toBe(404);
});
