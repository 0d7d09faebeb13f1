/**
 * Reads a request's path parameters, query and headers into the values a route's input schemas
 * describe, the way its OpenAPI document tells clients to send them: a list is one comma-separated
 * value (`style: form, explode: false`), a number is digits. Each schema then validates its values,
 * and every problem is answered at once as a 400 naming its field.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { issuesToProblems } from "../actions/params";
import type { AppEnv } from "./env";
import { jsonSchemaOf } from "./openapi/json-schema";
import { invalid } from "./problem";
import type { InputSchema, RouteInput } from "./route";

type Kind = "list" | "number" | "text";

interface Reader {
  schema: InputSchema;
  fields: [name: string, kind: Kind][];
}

export interface InputReader {
  params?: Reader;
  query?: Reader;
  headers?: Reader;
}

function readerOf(schema: InputSchema | undefined): Reader | undefined {
  if (!schema) return undefined;
  const properties = (jsonSchemaOf(schema).properties ?? {}) as Record<string, { type?: string }>;
  const fields = Object.entries(properties).map(([name, property]): [string, Kind] => [
    name,
    property.type === "array"
      ? "list"
      : property.type === "integer" || property.type === "number"
        ? "number"
        : "text",
  ]);
  return { schema, fields };
}

/** Built once per route when the app is mounted. */
export function inputReader(input: RouteInput | undefined): InputReader | null {
  if (!input || (!input.params && !input.query && !input.headers)) return null;
  return { params: readerOf(input.params), query: readerOf(input.query), headers: readerOf(input.headers) };
}

function decode(raw: string, kind: Kind): unknown {
  if (kind === "list") return raw === "" ? [] : raw.split(",").map((item) => item.trim());
  // Digits become a number; anything else stays text, for the schema to refuse by name.
  if (kind === "number") return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  return raw;
}

function read(reader: Reader, get: (name: string) => string | null | undefined, problems: unknown[]) {
  const values: Record<string, unknown> = {};
  for (const [name, kind] of reader.fields) {
    const raw = get(name);
    if (raw !== null && raw !== undefined) values[name] = decode(raw, kind);
  }
  const parsed = v.safeParse(reader.schema, values);
  if (parsed.success) return parsed.output;
  problems.push(...issuesToProblems(parsed.issues));
  return undefined;
}

/** The route's input as values, or a thrown 400 naming every field that is wrong. */
export function readInput(reader: InputReader, c: Context<AppEnv>): Record<string, unknown> {
  const problems: { path: string; message: string }[] = [];
  const input: Record<string, unknown> = {};
  if (reader.params) input.params = read(reader.params, (name) => c.req.param(name), problems);
  if (reader.query) input.query = read(reader.query, (name) => c.req.query(name), problems);
  if (reader.headers) input.headers = read(reader.headers, (name) => c.req.raw.headers.get(name), problems);
  if (problems.length > 0) throw invalid(problems, 400);
  return input;
}
