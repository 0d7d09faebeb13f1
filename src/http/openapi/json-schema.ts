/**
 * valibot → JSON Schema 2020-12 (OpenAPI 3.1's dialect) with `@valibot/to-json-schema`. Named schemas
 * become `#/components/schemas/<name>` references. Actions JSON Schema cannot say (a trim, a custom
 * check such as "a cron pattern") are left out of the schema; the schema's description says them.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { JsonSchema } from "../route";

export type { JsonSchema };

/** Schemas written by hand (a CSV, an event stream) are plain objects; valibot schemas have a `kind`. */
const isValibot = (schema: unknown): schema is v.GenericSchema =>
  typeof schema === "object" && schema !== null && (schema as { kind?: unknown }).kind === "schema";

export function jsonSchemaOf(
  schema: v.GenericSchema | JsonSchema,
  definitions: Record<string, v.GenericSchema> = {},
): JsonSchema {
  if (!isValibot(schema)) return schema;
  const converted = toJsonSchema(schema, {
    target: "draft-2020-12",
    typeMode: "input",
    errorMode: "throw",
    ignoreActions: ["trim", "check", "transform"],
    definitions,
    overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
  }) as JsonSchema;
  delete converted.$schema;
  delete converted.$defs;
  return converted;
}

/** The named schemas themselves, for `components.schemas` (each may refer to the others). */
export function componentSchemas(definitions: Record<string, v.GenericSchema>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(definitions)) {
    const others = Object.fromEntries(Object.entries(definitions).filter(([other]) => other !== name));
    out[name] = jsonSchemaOf(schema, others);
  }
  return out;
}
