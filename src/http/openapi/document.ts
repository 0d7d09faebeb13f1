/**
 * The OpenAPI 3.1 document, generated from the route table and nothing else: every operation, parameter,
 * body and answer (status, media type, schema, headers) is what a route object declares, so the document
 * cannot describe an API other than the one served. Written here rather than by hono-openapi, whose
 * defaults (an `application/json {success, error, data}` 400 the API never sends) made it inexact, and
 * which cannot see the table's own auth modes, input reading or problem answers.
 */
import type * as v from "valibot";
import { ActionViewSchema } from "../../actions/view-schema";
import { FieldProblemSchema, PROBLEM_JSON, ProblemSchema } from "../answers";
import { SESSION_COOKIE } from "../middleware";
import type { Answer, BodySpec, InputSchema, Route } from "../route";
import { ActionListSchema } from "../routes/actions";
import { HealthSchema } from "../routes/service";
import { SessionSchema } from "../routes/session";
import { FORM_COMPONENTS, JSON_REQUESTS, PARAMS_COMPONENTS } from "../routes/submission-bodies";
import { componentSchemas, type JsonSchema, jsonSchemaOf } from "./json-schema";

/** Schemas named in `components.schemas`; wherever one appears in another, it is a `$ref`. */
const NAMED: Record<string, v.GenericSchema> = {
  Action: ActionViewSchema,
  ActionList: ActionListSchema,
  Problem: ProblemSchema,
  FieldProblem: FieldProblemSchema,
  Session: SessionSchema,
  Health: HealthSchema,
  ...PARAMS_COMPONENTS,
  ...JSON_REQUESTS,
};

const schemaOf = (schema: v.GenericSchema | JsonSchema) => jsonSchemaOf(schema, NAMED);

const TAGS = [
  {
    name: "actions",
    description: "Start, list, poll and cancel one's own bulk actions; download their reports.",
  },
  { name: "events", description: "A live, resumable stream of one's own action events." },
  { name: "session", description: "The browser's session cookie." },
  { name: "service", description: "For operators: liveness and metrics, and this document." },
];

const REQUEST_ID = {
  description: "An id for this request, echoed in every answer (and problem) and in the log.",
  schema: { type: "string", pattern: "^[\\w.-]{1,64}$" },
  required: true,
  example: "k3f9a2-1c",
};

const SECURITY_SCHEMES = {
  bearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An HS256 JWT signed with AUTH_SECRET.",
  },
  cookie: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description: "The session cookie that `POST /v1/session` sets (for the tracker page).",
  },
};

function parametersOf(schema: InputSchema | undefined, where: "path" | "query" | "header") {
  if (!schema) return [];
  const object = schemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, examples, ...rest } = property as JsonSchema & {
      description?: string;
      examples?: unknown[];
    };
    return {
      name,
      in: where,
      required: where === "path" || (object.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
      ...(rest.type === "array" ? { style: "form", explode: false } : {}),
      ...(examples?.length ? { example: examples[0] } : {}),
    };
  });
}

function requestBodyOf(body: Record<string, BodySpec>) {
  const content = Object.fromEntries(
    Object.entries(body).map(([mediaType, spec]) => [
      mediaType,
      {
        schema: schemaOf(spec.schema),
        ...(spec.examples ? { examples: spec.examples } : {}),
        ...(spec.encoding ? { encoding: spec.encoding } : {}),
      },
    ]),
  );
  return { required: true, content };
}

function problemExample(status: number, description: string) {
  return {
    type: "about:blank",
    title: `${status}`,
    status,
    detail: description,
    requestId: REQUEST_ID.example,
  };
}

function responseOf(status: number, answer: Answer) {
  const headers: Record<string, unknown> = { "X-Request-Id": REQUEST_ID };
  for (const [name, spec] of Object.entries(answer.headers ?? {})) {
    headers[name] = {
      description: spec.description,
      required: spec.required ?? false,
      schema: schemaOf(spec.schema),
      ...(spec.example ? { example: spec.example } : {}),
    };
  }
  const content = answer.content
    ? Object.fromEntries(
        Object.entries(answer.content).map(([mediaType, body]) => [
          mediaType,
          {
            schema: schemaOf(body.schema),
            ...(body.examples
              ? { examples: body.examples }
              : mediaType === PROBLEM_JSON
                ? { example: problemExample(status, answer.description) }
                : {}),
          },
        ]),
      )
    : undefined;
  return { description: answer.description, headers, ...(content ? { content } : {}) };
}

function operationOf(route: Route) {
  const parameters = [
    ...parametersOf(route.input?.params, "path"),
    ...parametersOf(route.input?.query, "query"),
    ...parametersOf(route.input?.headers, "header"),
    { $ref: "#/components/parameters/RequestId" },
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth.map((credential) => ({ [credential]: [] })),
    parameters,
    ...(route.body ? { requestBody: requestBodyOf(route.body) } : {}),
    responses: Object.fromEntries(
      Object.entries(route.answers).map(([status, answer]) => [status, responseOf(Number(status), answer)]),
    ),
  };
}

export function openApiDocument(routes: readonly Route[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Bulk action tracker",
      version: "1.0.0",
      description:
        "Start, track and stream the bulk actions of a learning portal. Every error is " +
        "`application/problem+json` (RFC 9457), naming each problem with the input in `errors`.",
    },
    servers: [{ url: serverUrl, description: "This tracker (PUBLIC_URL)." }],
    tags: TAGS,
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      schemas: { ...componentSchemas(NAMED), ...FORM_COMPONENTS },
      securitySchemes: SECURITY_SCHEMES,
      parameters: {
        RequestId: {
          name: "X-Request-Id",
          in: "header",
          required: false,
          description: "Your id for this request; any other form than the one shown is replaced by a new id.",
          schema: { type: "string" },
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
