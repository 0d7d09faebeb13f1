/**
 * `/openapi.json` held against well-kept third-party validators: the official OpenAPI 3.1 JSON Schemas
 * (@seriousme/openapi-schema-validator) and `redocly lint` with its recommended rules (zero errors);
 * then checked complete: every route of the table, every answer with its media types and headers,
 * security as each route takes it, and examples that their own schemas accept.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { ROUTES } from "../src/http/routes";
import { startTestTracker, type TestTracker } from "./support/tracker";

// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON, whatever its shape.
type Json = Record<string, any>;
let t: TestTracker;
let doc: Json;
beforeAll(async () => {
  t = await startTestTracker();
  doc = await (await t.request("/openapi.json")).json();
});
afterAll(() => t.stop());

const operations = () =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, operation]) => ({
      path,
      method,
      operation: operation as Json,
    })),
  );

describe("third-party validators", () => {
  test("the official OpenAPI 3.1 schema accepts it", async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  test("redocly lint with the recommended rules finds no error", async () => {
    const file = join(t.dir, "openapi.json");
    writeFileSync(file, JSON.stringify(doc, null, 2));
    // Redocly CLI runs on Node (2.77.0 is the last line that supports Node 20), offline and quiet.
    const lint = Bun.spawn(
      [
        "node",
        "node_modules/@redocly/cli/bin/cli.js",
        "lint",
        "--extends=recommended",
        "--format=json",
        file,
      ],
      {
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: "off",
          REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
          NO_COLOR: "1",
        },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const [output, exitCode] = await Promise.all([new Response(lint.stdout).text(), lint.exited]);
    const report = JSON.parse(output) as {
      totals: { errors: number };
      problems: { ruleId: string; severity: string }[];
    };
    expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(exitCode).toBe(0);
  }, 60_000);
});

describe("complete", () => {
  test("every route of the table, and nothing else, is an operation", () => {
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const path of ["/v1/session", "/healthz", "/metrics", "/openapi.json"])
      expect(doc.paths[path]).toBeDefined();
    expect(Object.keys(doc.paths["/v1/session"]).sort()).toEqual(["delete", "get", "post"]);
  });

  test("servers, both security schemes, and security as each route takes it", () => {
    expect(doc.servers[0].url).toBe(t.config.publicUrl);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.cookie).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: "tracker_session",
    });
    for (const { path, method, operation } of operations()) {
      const schemes = (operation.security as Json[]).map((s) => Object.keys(s)[0]).sort();
      const expected =
        path === "/v1/session"
          ? { get: ["cookie"], post: ["bearer"], delete: [] }[method]
          : path.startsWith("/v1/")
            ? ["bearer", "cookie"]
            : [];
      expect({ path, method, schemes }).toEqual({ path, method, schemes: expected! });
    }
  });

  test("every answer has a description and the X-Request-Id header; every 4xx and 5xx is problem+json", () => {
    for (const { path, method, operation } of operations()) {
      const responses = Object.entries(operation.responses as Json);
      expect(responses.length).toBeGreaterThan(0);
      expect(responses.some(([status]) => status === "500")).toBe(true);
      for (const [status, response] of responses) {
        expect(response.description).toBeTruthy();
        expect(response.headers["X-Request-Id"].required).toBe(true);
        if (Number(status) >= 400)
          expect({ path, method, status, types: Object.keys(response.content) }).toEqual({
            path,
            method,
            status,
            types: ["application/problem+json"],
          });
      }
    }
  });

  test("the issue's parameters, headers, answers and media types are there", () => {
    const op = (path: string, method: string) => doc.paths[path][method];
    const param = (path: string, method: string, name: string) =>
      op(path, method).parameters.find((p: Json) => p.name === name);
    const list = "/v1/actions";
    for (const name of ["status", "type"])
      expect(param(list, "get", name)).toMatchObject({
        in: "query",
        style: "form",
        explode: false,
        schema: { type: "array" },
      });
    expect(param(list, "get", "limit").schema).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 200,
      default: 50,
    });
    expect(param(list, "post", "Idempotency-Key")).toMatchObject({ in: "header" });
    expect(param("/v1/actions/{referenceId}", "get", "If-None-Match")).toMatchObject({ in: "header" });
    expect(param("/v1/events", "get", "Last-Event-ID")).toMatchObject({ in: "header" });
    expect(param("/v1/events", "get", "lastEventId")).toMatchObject({ in: "query" });
    const accepted = op(list, "post").responses["202"];
    expect(Object.keys(accepted.headers)).toEqual(expect.arrayContaining(["Location", "ETag"]));
    expect(op(list, "post").responses["429"].headers["Retry-After"].required).toBe(true);
    expect(op(list, "post").responses["409"].headers["Retry-After"].required).toBe(true);
    expect(op(list, "post").responses["202"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Action",
    });
    const poll = op("/v1/actions/{referenceId}", "get").responses;
    expect(poll["304"].content).toBeUndefined();
    expect(poll["200"].headers.ETag.required).toBe(true);
    const report = op("/v1/actions/{referenceId}/error-report", "get").responses;
    expect(Object.keys(report["200"].content)).toEqual(["text/csv"]);
    expect(report["200"].headers["Content-Disposition"].required).toBe(true);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(["404", "410"]));
    expect(Object.keys(op("/v1/events", "get").responses["200"].content)).toEqual(["text/event-stream"]);
    for (const status of ["400", "401", "403", "409", "413", "415", "422", "429", "500"])
      expect(op(list, "post").responses[status]).toBeDefined();
  });

  test("per-type bodies are a oneOf with a discriminator on type, each type's params by reference", () => {
    const content = doc.paths["/v1/actions"].post.requestBody.content;
    for (const mediaType of ["application/json", "multipart/form-data"]) {
      const schema = content[mediaType].schema;
      expect(schema.discriminator.propertyName).toBe("type");
      expect(schema.oneOf.length).toBe(Object.keys(schema.discriminator.mapping).length);
    }
    expect(doc.components.schemas.GroupEnrollRequest.properties.params).toEqual({
      $ref: "#/components/schemas/GroupEnrollParams",
    });
    expect(doc.components.schemas.GroupEnrollParams.required).toEqual(["group", "courses"]);
  });

  test("examples are there, and their own schemas accept them", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, "openapi");
    const checked: string[] = [];
    const check = (pointer: string, value: unknown) => {
      const validate = ajv.compile({ $ref: `openapi#${pointer}` });
      expect({ pointer, valid: validate(value), errors: validate.errors ?? null }).toEqual({
        pointer,
        valid: true,
        errors: null,
      });
      checked.push(pointer);
    };
    const pointerPart = (part: string) => part.replaceAll("~", "~0").replaceAll("/", "~1");
    for (const { path, method, operation } of operations()) {
      const base = `/paths/${pointerPart(path)}/${method}`;
      for (const [mediaType, media] of Object.entries((operation.requestBody?.content ?? {}) as Json)) {
        if (mediaType === "multipart/form-data") continue; // a form's files are bytes, not the example's text
        expect(Object.keys(media.examples ?? {}).length).toBeGreaterThan(0);
        for (const example of Object.values(media.examples as Json))
          check(`${base}/requestBody/content/${pointerPart(mediaType)}/schema`, example.value);
      }
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        for (const [mediaType, media] of Object.entries((response.content ?? {}) as Json)) {
          const pointer = `${base}/responses/${status}/content/${pointerPart(mediaType)}/schema`;
          if (media.example) check(pointer, media.example);
          for (const example of Object.values((media.examples ?? {}) as Json)) check(pointer, example.value);
          // Examples of the answer, or of the named schema it refers to (each checked below).
          const named = media.schema.$ref ? doc.components.schemas[media.schema.$ref.split("/").pop()] : null;
          if (Number(status) < 300 && path !== "/openapi.json")
            expect({
              pointer,
              examples: Boolean(media.example ?? media.examples ?? named?.examples),
            }).toEqual({
              pointer,
              examples: true,
            });
        }
      }
    }
    for (const [name, schema] of Object.entries(doc.components.schemas as Json))
      for (const example of schema.examples ?? []) check(`/components/schemas/${name}`, example);
    expect(checked.length).toBeGreaterThan(20);
  });
});
