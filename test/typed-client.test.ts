/** TypeScript users get a typed client from the app's route types (`hono/client`). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { hc } from "hono/client";
import type { AppType } from "../src/app";
import { ADA, bearer } from "./support/env";
import { startTestServer, type TestServer } from "./support/server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test("hc<AppType> lists, starts and reads actions with typed routes", async () => {
  const client = hc<AppType>(server.url, { headers: bearer(ADA) });
  const list = await client.v1.actions.$get({ query: { limit: "5" } });
  expect(list.status).toBe(200);
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File(["email\nhc@x.com\n"], "hc.csv"));
  const created = await fetch(`${server.url}/v1/actions`, {
    method: "POST",
    body: form,
    headers: bearer(ADA),
  });
  const { referenceId } = (await created.json()) as { referenceId: string };
  const one = await client.v1.actions[":referenceId"].$get({ param: { referenceId } });
  expect(one.status).toBe(200);
  expect(((await one.json()) as { referenceId: string }).referenceId).toBe(referenceId);
  const cancel = await client.v1.actions[":referenceId"].cancel.$post({ param: { referenceId } });
  expect([200, 409]).toContain(cancel.status);
});
