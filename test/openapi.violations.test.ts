/**
 * The document's schemas are the API's: for every operation, requests that break one documented rule
 * (a parameter's schema, a body's property in each `oneOf` variant, the media type, the security) get a
 * 4xx problem+json that names what was broken. Violations are generated from the document itself: a
 * candidate value counts only when ajv says the documented schema refuses it, and every base request,
 * built from the document's examples, is first shown to be accepted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { ADA, bearer, tokenFor } from "./support/env";
import { postJson, startTestTracker, type TestTracker } from "./support/tracker";

// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON, whatever its shape.
type Json = Record<string, any>;
let t: TestTracker;
let doc: Json;
let ref: string;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const file = (path: string, type: string) => new File([readFileSync(path)], path.split("/").pop()!, { type });
const FILES: Record<string, File[]> = {
  user_upload: [file("examples/users.csv", "text/csv")],
  history_migration: [file("examples/history.csv", "text/csv")],
  content_upload: [file("examples/packages/gdpr-1.zip", "application/zip")],
  content_replace: [file("examples/packages/sec-101-v2.zip", "application/zip")],
};

beforeAll(async () => {
  t = await startTestTracker();
  doc = await (await t.request("/openapi.json")).json();
  ajv.addSchema(doc, "openapi");
  // The portal the examples expect (as examples/try-all.sh builds it): users and groups, two courses, a rule.
  for (const [type, files] of [
    ["user_upload", FILES.user_upload!],
    ["content_upload", [file("examples/packages/sec-101.zip", "application/zip"), ...FILES.content_upload!]],
  ] as const) {
    expect((await send("POST", "/v1/actions", { form: { type }, files: [...files] })).status).toBe(202);
  }
  await t.drain();
  const rule = JSON.parse(readFileSync("examples/rule-start.json", "utf8"));
  ref = (await (await postJson(t, ADA, rule)).json()).referenceId;
  await t.drain();
});
afterAll(() => t.stop());

interface Sent {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  files?: File[];
  auth?: "bearer" | "cookie" | "none";
}

function send(method: string, path: string, sent: Sent = {}) {
  const url = `${path.replace("{referenceId}", ref)}${sent.query ? `?${new URLSearchParams(sent.query)}` : ""}`;
  const token = tokenFor(ADA);
  const auth: Record<string, string> =
    sent.auth === "none" ? {} : sent.auth === "cookie" ? { cookie: `tracker_session=${token}` } : bearer(ADA);
  const headers: Record<string, string> = { ...auth, ...sent.headers };
  let body: BodyInit | undefined;
  if (sent.json !== undefined) {
    body = JSON.stringify(sent.json);
    headers["content-type"] = "application/json";
  } else if (sent.form) {
    const form = new FormData();
    for (const [name, value] of Object.entries(sent.form)) form.append(name, value);
    for (const part of sent.files ?? []) form.append("file", part);
    body = form;
  }
  return t.request(url, { method, headers, ...(body ? { body } : {}) });
}

/** A 4xx problem+json whose `errors` name `field` (or a field inside it). */
async function expectNamed(res: Response, field: string | null, what: string) {
  const body = res.headers.get("content-type") === "application/problem+json" ? await res.json() : null;
  const paths: string[] = (body?.errors ?? []).map((e: { path: string }) => e.path);
  const named = field === null || paths.some((path) => path === field || path.startsWith(`${field}.`));
  expect({ what, status: res.status >= 400 && res.status < 500, problem: body !== null, named }).toEqual({
    what,
    status: true,
    problem: true,
    named: true,
  });
}

const resolve = (schema: Json): Json => (schema.$ref ? resolve(pointerGet(schema.$ref.slice(1))) : schema);
const pointerGet = (pointer: string): Json =>
  pointer
    .split("/")
    .slice(1)
    .reduce((node, part) => node[part.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
const refuses = (schema: Json, value: unknown) => !ajv.validate({ ...schema, $id: undefined }, value);

/** Candidate values of a leaf; those the schema refuses are the violations (at most `max`). */
const LEAF_CANDIDATES: unknown[] = [
  12345,
  "not-a-value",
  "",
  " ",
  -1,
  1.5,
  201,
  "x".repeat(2001),
  true,
  null,
  [],
];
function refusedValues(schema: Json, candidates = LEAF_CANDIDATES, max = 3): unknown[] {
  const refused = candidates.filter((value) => refuses(withRefs(schema), value));
  return refused.slice(0, max);
}
/** A sub-schema that can be validated on its own: `$ref`s point into the document. */
const withRefs = (schema: Json): Json => JSON.parse(JSON.stringify(schema).replaceAll('"#/', '"openapi#/'));

type Mutation = { field: string; path: string[]; value?: unknown; remove?: true };

/** Every single-rule violation of an object schema, as mutations of a valid value. */
function bodyViolations(schema: Json, value: unknown, path: string[] = []): Mutation[] {
  const s = resolve(schema);
  const field = path.length ? path.join(".") : "(body)";
  const out: Mutation[] = refusedValues(s, [12345, "not-a-value", true, null, []], 2).map((v) => ({
    field,
    path,
    value: v,
  }));
  if (s.type === "object" && value && typeof value === "object") {
    for (const name of s.required ?? [])
      out.push({ field: [...path, name].join("."), path: [...path, name], remove: true });
    for (const [name, property] of Object.entries((s.properties ?? {}) as Json))
      if (name in (value as Json))
        out.push(...bodyViolations(property, (value as Json)[name], [...path, name]));
  } else if (s.type === "array" && Array.isArray(value)) {
    if (value.length > 0) out.push(...bodyViolations(s.items, value[0], [...path, "0"]));
  } else {
    for (const v of refusedValues(s))
      if (!out.some((m) => m.value === v)) out.push({ field, path, value: v });
  }
  return out;
}

function mutate(base: unknown, m: Mutation): unknown {
  const copy = structuredClone(base) as Json;
  if (m.path.length === 0) return m.value;
  const parent = m.path.slice(0, -1).reduce((node, key) => node[key], copy);
  const last = m.path.at(-1)!;
  if (m.remove) delete parent[last];
  else parent[last] = m.value;
  return copy;
}

const operations = () =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, operation]) => ({
      path,
      method: method.toUpperCase(),
      operation: operation as Json,
    })),
  );

describe("every operation refuses what its document refuses, naming it", () => {
  test("security: without the credential the operation takes, 401", async () => {
    let checked = 0;
    for (const { path, method, operation } of operations()) {
      const schemes = (operation.security as Json[]).map((s) => Object.keys(s)[0]);
      if (schemes.length === 0) continue;
      await expectNamed(
        await send(method, path, { auth: "none" }),
        null,
        `${method} ${path} without credentials`,
      );
      if (!schemes.includes("cookie"))
        await expectNamed(
          await send(method, path, { auth: "cookie" }),
          null,
          `${method} ${path} with a cookie`,
        );
      if (!schemes.includes("bearer"))
        await expectNamed(
          await send(method, path, { auth: "bearer" }),
          null,
          `${method} ${path} with a bearer`,
        );
      checked++;
    }
    expect(checked).toBe(10);
  });

  test("parameters: each value its schema refuses is a 400 naming the parameter", async () => {
    const candidates = ["not-a-value", "!!", "abc", "0", "201", "1.5", "-1", "x".repeat(300)];
    const tried: string[] = [];
    for (const { path, method, operation } of operations()) {
      for (const parameter of (operation.parameters as Json[]).map(resolve)) {
        const decode = (raw: string) =>
          parameter.schema.type === "array"
            ? raw.split(",")
            : ["integer", "number"].includes(parameter.schema.type) && /^-?\d+(\.\d+)?$/.test(raw)
              ? Number(raw)
              : raw;
        for (const raw of candidates.filter((c) => refuses(parameter.schema, decode(c))).slice(0, 4)) {
          const sent: Sent =
            parameter.in === "query"
              ? { query: { [parameter.name]: raw } }
              : { headers: { [parameter.name]: raw } };
          await expectNamed(
            await send(method, path, sent),
            parameter.name,
            `${method} ${path} ${parameter.name}=${raw.slice(0, 20)}`,
          );
          tried.push(`${parameter.in} ${parameter.name}`);
        }
      }
    }
    expect(new Set(tried)).toEqual(
      new Set([
        "query status",
        "query type",
        "query limit",
        "query cursor",
        "query retryOf",
        "header Idempotency-Key",
        "query lastEventId",
        "header Last-Event-ID",
      ]),
    );
  });

  test("bodies: another media type is a 415", async () => {
    for (const { path, method, operation } of operations()) {
      if (!operation.requestBody) continue;
      const res = await t.request(path, {
        method,
        body: "type=user_upload",
        headers: { ...bearer(ADA), "content-type": "text/plain" },
      });
      expect(res.status).toBe(415);
      await expectNamed(res, null, `${method} ${path} as text/plain`);
    }
  });

  test("JSON bodies: in each variant, each property its schema refuses is named", async () => {
    const media = doc.paths["/v1/actions"].post.requestBody.content["application/json"];
    let variants = 0;
    let violations = 0;
    for (const variant of media.schema.oneOf as Json[]) {
      const schema = resolve(variant);
      const example = Object.values(media.examples as Json).find(
        (e) => e.value.type === schema.properties.type.const,
      );
      expect(example).toBeDefined();
      // The example, sent as it is, is accepted; an example for every variant.
      expect((await send("POST", "/v1/actions", { json: example.value })).status).toBe(202);
      for (const m of bodyViolations(variant, example.value)) {
        const res = await send("POST", "/v1/actions", { json: mutate(example.value, m) });
        await expectNamed(
          res,
          m.field,
          `${schema.properties.type.const}: ${m.field} ${m.remove ? "missing" : `= ${JSON.stringify(m.value)?.slice(0, 30)}`}`,
        );
        violations++;
      }
      variants++;
    }
    expect(variants).toBe(6);
    expect(violations).toBeGreaterThan(100);
  }, 60_000);

  test("multipart bodies: in each variant, each field its schema refuses is named", async () => {
    const media = doc.paths["/v1/actions"].post.requestBody.content["multipart/form-data"];
    const jsonExamples = Object.values(
      doc.paths["/v1/actions"].post.requestBody.content["application/json"].examples as Json,
    );
    let variants = 0;
    for (const variant of media.schema.oneOf as Json[]) {
      const schema = resolve(variant);
      const type = schema.properties.type.const as string;
      const params = jsonExamples.find((e) => e.value.type === type)?.value.params;
      const base: Record<string, string> = { type, ...(params ? { params: JSON.stringify(params) } : {}) };
      const files = FILES[type] ?? [];
      expect((await send("POST", "/v1/actions", { form: base, files })).status).toBe(202);
      const tries: [string, Record<string, string>, File[]][] = [];
      for (const name of schema.required as string[]) {
        const { [name]: _, ...rest } = base;
        tries.push([name, rest, name === "file" ? [] : files]);
      }
      for (const [name, property] of Object.entries(schema.properties as Json)) {
        if (name === "file") continue;
        const candidates =
          property.contentMediaType === "application/json"
            ? ["{ not json"]
            : refusedValues(resolve(property), ["not-a-value", "soon", "2030-13-45"], 2);
        for (const value of candidates) tries.push([name, { ...base, [name]: String(value) }, files]);
      }
      for (const [field, form, parts] of tries)
        await expectNamed(
          await send("POST", "/v1/actions", { form, files: parts }),
          field,
          `${type} form: ${field}`,
        );
      variants++;
    }
    expect(variants).toBe(10);
  }, 60_000);
});
