/** Bun entry: configuration, the process by ROLE, Bun.serve, graceful shutdown. Thin by design. */
import { ConfigError, parseConfig } from "./config";
import { devSignInHint } from "./dev/sign-in-hint";
import { startProcess } from "./process";

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
if (config.authSecretIsDevDefault) {
  console.warn(
    "\n  WARNING: AUTH_SECRET is not set; using the development secret. Anyone can sign tokens for this server.\n" +
      "  Set AUTH_SECRET (and NODE_ENV=production) before exposing it.\n",
  );
}

const tracker = await startProcess(config);
const server =
  config.role === "worker"
    ? null
    : Bun.serve({
        port: config.port,
        fetch: tracker.app.fetch,
        // Streams send a keep-alive comment every 10 s; Bun's default idle timeout (10 s) would cut them.
        idleTimeout: 60,
        // Bun refuses bodies over 128 MiB by default with a bare 413. MAX_UPLOAD_BYTES decides instead (the
        // app answers 413 problem+json from Content-Length or while counting); Bun's limit stays well above it.
        maxRequestBodySize: config.maxUploadBytes * 2 + 64 * 1024 * 1024,
      });
console.log(
  JSON.stringify({
    level: "info",
    msg: "tracker started",
    role: config.role,
    url: server ? `http://localhost:${server.port}` : null,
    database: config.databaseUrl.replace(/\/\/[^@]*@/, "//***@"),
  }),
);
if (server && !config.production) console.log(devSignInHint(config, server.port ?? config.port));

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(JSON.stringify({ level: "info", msg: "stopping", signal }));
  // Drain: streams end at once (their clients resume elsewhere with Last-Event-ID); requests in flight,
  // such as an upload being staged, get up to 20 s to finish; then the engine finishes its slices.
  tracker.services.hub.closeAll();
  if (server) await Promise.race([server.stop(), Bun.sleep(20_000)]);
  await tracker.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
