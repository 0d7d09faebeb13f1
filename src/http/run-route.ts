/**
 * Turns a route object into the one Hono handler that answers it: request id, authentication (as the
 * route declares), the body's media type and size, its input read and validated, the handler, every
 * failure as problem+json, the route's Cache-Control, a log line and metrics. It stays synchronous when
 * the handler is, so a route with nothing in front of it (the poll) is answered without a promise.
 */
import type { Context } from "hono";
import type { AppEnv, Services } from "./env";
import { onError, principalOf, recordRequest, requestIdFrom } from "./middleware";
import { HttpProblem } from "./problem";
import { honoPath, type Route } from "./route";
import { inputReader, readInput } from "./route-input";
import { tooLarge } from "./submission";

export type RouteHandler = (c: Context<AppEnv>) => Response | Promise<Response>;

export function routeHandler(route: Route, services: Services): RouteHandler {
  const label = honoPath(route.path);
  const reader = inputReader(route.input);
  const noInput = {};
  return (c) => {
    const started = performance.now();
    const id = requestIdFrom(c.req.raw.headers.get("x-request-id"));
    c.set("requestId", id);
    c.set("services", services);
    const finish = (res: Response) => {
      const headers = res.headers;
      if (!headers.has("x-request-id")) headers.set("x-request-id", id);
      if (!headers.has("cache-control")) headers.set("cache-control", route.cache);
      headers.set("x-content-type-options", "nosniff");
      recordRequest(services, id, c.req.method, label, res.status, started);
      return res;
    };
    const failed = (error: unknown) => finish(onError(error as Error, c));
    const proceed = () => {
      const input = reader ? readInput(reader, c) : noInput;
      if (route.body) checkBody(c, route, services);
      return route.handler(c, input);
    };
    let answer: Response | Promise<Response>;
    try {
      // A verified token or a held session answers at once; a first sight of either waits for it.
      const who = route.auth.length > 0 ? principalOf(c, services, route.auth, route.originCheck) : null;
      if (who instanceof Promise) {
        answer = who.then((principal) => {
          c.set("principal", principal);
          return proceed();
        });
      } else {
        if (who) c.set("principal", who);
        answer = proceed();
      }
    } catch (error) {
      return failed(error);
    }
    if (answer instanceof Response) return finish(answer);
    return answer.then(finish, failed);
  };
}

/**
 * A media type the route does not take is a 415; a declared length over its limit a 413 before a byte is
 * read. A body without a length is counted as it is read, and refused past the limit.
 */
function checkBody(c: Context<AppEnv>, route: Route, services: Services): void {
  const request = c.req.raw;
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const spec = route.body![mediaType];
  if (!spec) {
    const accepted = Object.keys(route.body!).join(" or ");
    throw new HttpProblem(415, `Send ${accepted}.`, { type: "/problems/unsupported-media-type" });
  }
  const limit = spec.maxBytes(services.config);
  const tooLargeBody = () => tooLarge(limit, spec.noun);
  const length = request.headers.get("content-length");
  if (length !== null) {
    if (Number(length) > limit) throw tooLargeBody();
    return;
  }
  if (!request.body) return;
  let seen = 0;
  const counted = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) controller.error(tooLargeBody());
        else controller.enqueue(chunk);
      },
    }),
  );
  c.req.raw = new Request(request, { body: counted, duplex: "half" } as RequestInit);
}
