/**
 * Starts the real tracker process in this test process (real database file, real Bun.serve on a random
 * port), so end-to-end tests talk to it over HTTP with real clients.
 */
import type { Config } from "../../src/config";
import type { Clock } from "../../src/lib/clock";
import type { MailSender } from "../../src/mail/sender";
import { startProcess, type TrackerProcess } from "../../src/process";
import { checkedFetch } from "./contract";
import { tempDir, testConfig } from "./env";

export interface TestServer {
  url: string;
  config: Config;
  tracker: TrackerProcess;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: { clock?: Clock; mailSender?: MailSender; dir?: string; quiet?: boolean } = {},
): Promise<TestServer> {
  const temp = options.dir ? null : tempDir();
  const dir = options.dir ?? temp!.path;
  const config = testConfig(dir, env);
  const tracker = await startProcess(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.mailSender ? { mailSender: options.mailSender } : {}),
    ...(options.quiet === false ? {} : { log: () => {} }),
  });
  // Every answer is checked against the OpenAPI document; stop() fails on any it does not describe.
  const checked = checkedFetch((request) => tracker.app.fetch(request));
  const server = Bun.serve({ port: 0, fetch: checked.fetch, idleTimeout: 60 });
  return {
    url: `http://127.0.0.1:${server.port}`,
    config,
    tracker,
    dir,
    async stop() {
      server.stop(true);
      await tracker.stop();
      temp?.cleanup();
      checked.assertDescribed();
    },
  };
}
