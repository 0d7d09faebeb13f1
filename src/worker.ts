/**
 * Cloudflare Workers entry. Thin by design: the composition is in src/edge/.
 * - `fetch`: the same Hono app as the Bun process, built once per isolate;
 * - `scheduled` (Cron Trigger, every minute): the clock jobs, then a burst of engine slices and mail
 *   delivery, so actions progress and reports expire without a long-running process.
 * Both run as an "invocation" (src/edge/invocation.ts): `notify()` finds the request's `waitUntil`
 * through it, and database statements count against the invocation's query limit.
 */
import { ConfigError } from "./config";
import { runInvocation } from "./edge/invocation";
import { runWork } from "./edge/jobs";
import { edgeFor } from "./edge/services";
import type { EdgeEnv, ExecutionContext, ScheduledController } from "./edge/types";

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

  scheduled(controller: ScheduledController, env: EdgeEnv, ctx: ExecutionContext): void {
    const edge = edgeFor(env);
    if (edge.config.role === "api") return;
    ctx.waitUntil(
      runInvocation(ctx, () =>
        runWork(edge, { budgetMs: edge.settings.engineBudgetMs, clocksAt: controller.scheduledTime }),
      ),
    );
  },
};
