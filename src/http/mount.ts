/**
 * The Hono app, derived from the route table: one handler per route and nothing else in front of it,
 * so Hono calls each handler alone (synchronously when it answers synchronously). A path the table knows
 * called with another method is a 405 with `Allow`; a path it does not know goes on to `fallback` (the
 * page), and from there to a 404.
 */
import type { Hono } from "hono";
import type { AppEnv, Services } from "./env";
import { HttpProblem, problemResponse } from "./problem";
import { honoPath, type Method, pathPattern, type Route } from "./route";
import { routeHandler } from "./run-route";

const METHOD_ORDER: Method[] = ["GET", "POST", "DELETE"];

export function mountRoutes(app: Hono<AppEnv>, routes: readonly Route[], services: Services): void {
  for (const route of routes) app.on(route.method, honoPath(route.path), routeHandler(route, services));
}

/** The methods each known path answers, for 405s: `Allow: GET, POST`. */
export function allowedMethods(routes: readonly Route[]): (path: string) => string | null {
  const byPath = new Map<string, { pattern: RegExp; methods: Set<Method> }>();
  for (const route of routes) {
    const entry = byPath.get(route.path) ?? { pattern: pathPattern(route.path), methods: new Set<Method>() };
    entry.methods.add(route.method);
    byPath.set(route.path, entry);
  }
  const entries = [...byPath.values()];
  return (path) => {
    const match = entries.find((entry) => entry.pattern.test(path));
    return match ? METHOD_ORDER.filter((method) => match.methods.has(method)).join(", ") : null;
  };
}

/** The answer for a request no route took: 405 with `Allow` on a known path, else 404. */
export function unrouted(allowed: (path: string) => string | null) {
  return (method: string, path: string, requestId: string): Response => {
    const allow = allowed(path);
    if (allow === null) return problemResponse(new HttpProblem(404, `Nothing at ${path}.`), requestId);
    return problemResponse(
      new HttpProblem(405, `${method} is not allowed here; use ${allow}.`, { headers: { allow } }),
      requestId,
    );
  };
}
