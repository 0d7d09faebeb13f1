/**
 * The two bodies of `POST /v1/actions`, per action type, for the document: JSON (the types that take
 * params) and multipart/form-data (every type; file types need it). Built from the same schemas the
 * body is read with (actions/params.ts), so a type's params are exactly what the API checks: a `oneOf`
 * with a discriminator on `type`.
 */
import * as v from "valibot";
import groupEnroll from "../../../examples/group-enroll.json";
import groupMarkComplete from "../../../examples/group-mark-complete.json";
import groupUnenroll from "../../../examples/group-unenroll.json";
import reminder from "../../../examples/reminder.json";
import ruleChange from "../../../examples/rule-change.json";
import ruleStart from "../../../examples/rule-start.json";
import { ACTION_TYPES, type ActionType } from "../../actions/model";
import {
  FILE_TYPES,
  JsonSubmission,
  MultipartSubmission,
  PARAMS_SCHEMAS,
  SINGLE_FILE_TYPES,
} from "../../actions/params";
import { type JsonSchema, jsonSchemaOf } from "../openapi/json-schema";
import type { Example } from "../route";

const JSON_TYPES = ACTION_TYPES.filter((type) => !FILE_TYPES.has(type));

/** `group_enroll` → `GroupEnroll`. */
const pascal = (type: string) => type.replace(/(^|_)([a-z])/g, (_, __, ch: string) => ch.toUpperCase());

export const paramsName = (type: ActionType) => `${pascal(type)}Params`;
const jsonName = (type: ActionType) => `${pascal(type)}Request`;
const formName = (type: ActionType) => `${pascal(type)}Form`;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Each type's params, named (`GroupEnrollParams`), for `components.schemas`. */
export const PARAMS_COMPONENTS: Record<string, v.GenericSchema> = Object.fromEntries(
  JSON_TYPES.map((type) => [paramsName(type), PARAMS_SCHEMAS[type]]),
);

const { scheduledFor, notify, dryRun, retryOf } = JsonSubmission.entries;

/** One JSON request per type that takes params; its params are that type's, by reference. */
export const JSON_REQUESTS: Record<string, v.GenericSchema> = Object.fromEntries(
  JSON_TYPES.map((type) => [
    jsonName(type),
    v.pipe(
      v.object({
        type: v.literal(type),
        params: PARAMS_SCHEMAS[type],
        scheduledFor,
        notify,
        dryRun,
        retryOf,
      }),
      v.description(`Start a ${type} action.`),
    ),
  ]),
);

export const jsonRequestBody: v.GenericSchema = v.pipe(
  v.variant(
    "type",
    JSON_TYPES.map((type) => JSON_REQUESTS[jsonName(type)]) as unknown as v.VariantOptions<"type">,
  ),
  v.metadata({
    discriminator: {
      propertyName: "type",
      mapping: Object.fromEntries(JSON_TYPES.map((type) => [type, ref(jsonName(type)).$ref])),
    },
  }),
);

const field = (name: keyof typeof MultipartSubmission.entries) =>
  jsonSchemaOf(MultipartSubmission.entries[name]);
const binary = (mediaType: string) => ({ type: "string", contentMediaType: mediaType });

/** One form per type: the file types' `file` parts, or the others' params as a JSON `params` field. */
function formOf(type: ActionType): JsonSchema {
  const common = {
    scheduledFor: field("scheduledFor"),
    notify: field("notify"),
    dryRun: field("dryRun"),
    retryOf: field("retryOf"),
  };
  if (SINGLE_FILE_TYPES.has(type)) {
    return {
      type: "object",
      description: `Start a ${type} action: exactly one CSV file.`,
      properties: { type: { const: type }, file: binary("text/csv"), ...common },
      required: ["type", "file"],
    };
  }
  if (FILE_TYPES.has(type)) {
    return {
      type: "object",
      description: `Start a ${type} action: one or more SCORM or xAPI packages (.zip), one \`file\` part each.`,
      properties: {
        type: { const: type },
        file: { type: "array", items: binary("application/zip"), minItems: 1 },
        ...common,
      },
      required: ["type", "file"],
    };
  }
  return {
    type: "object",
    description:
      `Start a ${type} action: its params as one JSON \`params\` field, or one field per param ` +
      "(a repeated field, or `courses` as a comma-separated list, makes a list).",
    properties: {
      type: { const: type },
      params: { type: "string", contentMediaType: "application/json", contentSchema: ref(paramsName(type)) },
      ...common,
    },
    required: ["type"],
    additionalProperties: { type: "string" },
  };
}

export const FORM_COMPONENTS: Record<string, JsonSchema> = Object.fromEntries(
  ACTION_TYPES.map((type) => [formName(type), formOf(type)]),
);

export const formRequestBody: JsonSchema = {
  oneOf: ACTION_TYPES.map((type) => ref(formName(type))),
  discriminator: {
    propertyName: "type",
    mapping: Object.fromEntries(ACTION_TYPES.map((type) => [type, ref(formName(type)).$ref])),
  },
};

const fromFile = (summary: string, value: unknown): Example => ({ summary, value });

/** The examples/ folder's requests, which the README and try-all.sh use too. */
export const JSON_EXAMPLES: Record<string, Example> = {
  group_enroll: fromFile("Enroll a group in courses (examples/group-enroll.json)", groupEnroll),
  group_unenroll: fromFile("Unenroll a group (examples/group-unenroll.json)", groupUnenroll),
  group_mark_complete: fromFile(
    "Mark a group complete (examples/group-mark-complete.json)",
    groupMarkComplete,
  ),
  dynamic_rule_start: fromFile("Start a dynamic rule (examples/rule-start.json)", ruleStart),
  dynamic_rule_change: fromFile("Change a dynamic rule (examples/rule-change.json)", ruleChange),
  reminder_send: fromFile("A weekly reminder (examples/reminder.json)", reminder),
};

export const FORM_EXAMPLES: Record<string, Example> = {
  user_upload: { summary: "A user upload", value: { type: "user_upload", file: "email,first_name\n…" } },
  scheduled: {
    summary: "A history migration, scheduled and quiet",
    value: {
      type: "history_migration",
      file: "email,course_code,completed_at\n…",
      scheduledFor: "2030-01-01T09:00:00Z",
      notify: "false",
    },
  },
};
