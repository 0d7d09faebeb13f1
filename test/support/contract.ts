/**
 * Holds every answer the tests see against the OpenAPI document: the status must be documented for that
 * operation, the media type too, the body must match its schema (JSON Schema 2020-12, with ajv) and each
 * documented header its schema, required ones present. The route tests' `request` (tracker.ts), the real
 * test server (server.ts) and the edge worker (miniflare.ts) all pass their answers through here, so an
 * answer the document does not describe fails the test that provoked it.
 */

import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { pathPattern } from "../../src/http/route";
import { documentFor } from "../../src/http/routes";

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, Json> }>;
}

const document = documentFor("http://localhost:8787") as unknown as {
  paths: Record<string, Record<string, Operation>>;
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document as object, "openapi");

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
const validators = new Map<string, ValidateFunction>();
function validatorAt(...parts: string[]): ValidateFunction {
  const ref = `openapi#/${pointer(...parts)}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: pathPattern(template),
}));

const JSON_TYPES = new Set(["application/json", "application/problem+json"]);
const TEXT_TYPES = new Set(["text/csv", "text/plain"]);

/** Every way `res` departs from the document; empty when it is described exactly. */
export async function departures(method: string, url: string, res: Response): Promise<string[]> {
  const path = new URL(url, "http://localhost").pathname;
  const template = templates.find((t) => t.pattern.test(path))?.template;
  const what = `${method} ${path} → ${res.status}`;
  if (!template) {
    // Not an operation (the page, its assets, an unknown path): an error is still problem+json.
    if (res.status >= 400 && res.status !== 405) return problemDepartures(what, res);
    return [];
  }
  const operationKey = method === "HEAD" ? "get" : method.toLowerCase();
  const operation = document.paths[template]![operationKey];
  if (!operation) {
    if (method === "OPTIONS") return [];
    if (res.status !== 405 || !res.headers.get("allow"))
      return [`${what}: not an operation, and not a 405 with Allow`];
    return problemDepartures(what, res);
  }
  const answer = operation.responses[String(res.status)];
  if (!answer) return [`${what}: status not documented for ${operationKey.toUpperCase()} ${template}`];
  const out: string[] = [];
  for (const [name, header] of Object.entries(answer.headers ?? {})) {
    const value = res.headers.get(name);
    if (value === null) {
      if (header.required) out.push(`${what}: documented header ${name} is missing`);
      continue;
    }
    const validate = validatorAt(
      "paths",
      template,
      operationKey,
      "responses",
      String(res.status),
      "headers",
      name,
      "schema",
    );
    if (!validate(value)) out.push(`${what}: header ${name}: ${ajv.errorsText(validate.errors)} (${value})`);
  }
  const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!answer.content) {
    if (method !== "HEAD" && (await res.clone().text()) !== "")
      out.push(`${what}: a body where none is documented`);
    return out;
  }
  if (!(mediaType in answer.content)) {
    out.push(
      `${what}: media type ${mediaType || "(none)"} not documented (${Object.keys(answer.content).join(", ")})`,
    );
    return out;
  }
  if (method === "HEAD" || mediaType === "text/event-stream") return out;
  const body = await bodyOf(res, mediaType);
  if (body === undefined) return [...out, `${what}: the ${mediaType} body does not parse`];
  const validate = validatorAt(
    "paths",
    template,
    operationKey,
    "responses",
    String(res.status),
    "content",
    mediaType,
    "schema",
  );
  if (!validate(body)) out.push(`${what}: body: ${ajv.errorsText(validate.errors)}`);
  return out;
}

async function bodyOf(res: Response, mediaType: string): Promise<unknown> {
  const text = await res.clone().text();
  if (TEXT_TYPES.has(mediaType)) return text;
  if (!JSON_TYPES.has(mediaType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const validateProblem = () =>
  ajv.getSchema("openapi#/components/schemas/Problem") ?? validatorAt("components", "schemas", "Problem");

async function problemDepartures(what: string, res: Response): Promise<string[]> {
  if (res.headers.get("content-type") !== "application/problem+json") return [`${what}: not problem+json`];
  const validate = validateProblem();
  return validate(await res.clone().json()) ? [] : [`${what}: ${ajv.errorsText(validate.errors)}`];
}

/** Throws when the answer departs from the document; else hands it back untouched. */
export async function described(method: string, url: string, res: Response): Promise<Response> {
  const found = await departures(method, url, res);
  if (found.length > 0)
    throw new Error(`The answer is not what /openapi.json documents:\n${found.join("\n")}`);
  return res;
}

/** A `request(path, init)` whose every answer is checked against the document. */
export function checkedRequest(request: (path: string, init?: RequestInit) => Promise<Response> | Response) {
  return async (path: string, init?: RequestInit) =>
    described(init?.method ?? "GET", path, await request(path, init));
}

/**
 * A `fetch` handler for a real server whose answers are checked; a server cannot fail a test by
 * throwing, so departures are kept, and `assertDescribed()` (called when the server stops) throws them.
 */
export function checkedFetch(handler: (request: Request) => Response | Promise<Response>) {
  const found: string[] = [];
  return {
    fetch: async (request: Request) => {
      const res = await handler(request);
      found.push(...(await departures(request.method, request.url, res)));
      return res;
    },
    assertDescribed() {
      if (found.length > 0) throw new Error(`Answers not documented in /openapi.json:\n${found.join("\n")}`);
    },
  };
}
