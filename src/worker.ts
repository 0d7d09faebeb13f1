/**
 * Cloudflare Workers entry. Thin by design: the composition is in src/edge/.
 * - `fetch`: the same Hono app as the Bun process, built once per isolate;
 * - `queue` (the `ENGINE` queue): one engine turn per batch (src/edge/engine-queue.ts);
 * - `scheduled` (Cron Trigger, every minute): the clocks and a safety sweep (src/edge/cron.ts);
 * - `PortalStreams`: the Durable Object class that holds one portal's live streams.
 * Each runs as an "invocation" (src/edge/invocation.ts): waits for pokes and turns find its
 * `waitUntil` through it, and database statements count against the invocation's query limit.
 */
import { ConfigError } from "./config";
import { runCron } from "./edge/cron";
import { consumeEngineBatch } from "./edge/engine-queue";
import { runInvocation } from "./edge/invocation";
import { edgeFor } from "./edge/services";
import type {
  EdgeEnv,
  EngineMessage,
  ExecutionContext,
  MessageBatch,
  ScheduledController,
} from "./edge/types";

export { PortalStreams } from "./edge/portal-streams";

function configProblem(error: unknown): Response {
  const detail = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(JSON.stringify({ level: "error", msg: "edge configuration", error: detail }));
  return Response.json(
    { type: "/problems/configuration", title: "Server misconfigured", status: 500, detail },
    { status: 500, headers: { "content-type": "application/problem+json" } },
  );
}

export default {
  fetch(request: Request, env: EdgeEnv, ctx: ExecutionContext): Response | Promise<Response> {
    let edge: ReturnType<typeof edgeFor>;
    try {
      edge = edgeFor(env);
    } catch (error) {
      return configProblem(error);
    }
    return runInvocation(ctx, () => edge.app.fetch(request, env, ctx as never));
  },

  async queue(batch: MessageBatch<EngineMessage>, env: EdgeEnv, ctx: ExecutionContext): Promise<void> {
    const edge = edgeFor(env);
    if (!env.ENGINE || edge.config.role === "api") return batch.ackAll();
    try {
      await runInvocation(ctx, () => consumeEngineBatch(edge, env.ENGINE!, batch));
    } catch (error) {
      // The platform retries the batch (then dead-letters it); the error is worth a line first.
      edge.log({ level: "error", msg: "engine turn failed", error: String(error) });
      throw error;
    }
  },

  scheduled(controller: ScheduledController, env: EdgeEnv, ctx: ExecutionContext): void {
    const edge = edgeFor(env);
    if (edge.config.role === "api") return;
    ctx.waitUntil(runInvocation(ctx, () => runCron(edge, controller.scheduledTime)));
  },
};
