/**
 * Boundary work: reads the body of `POST /v1/actions` into the engine's Submission, JSON or multipart,
 * every problem named at once (400 malformed, 413 too large, 415 wrong media type, 422 invalid fields).
 */
import * as v from "valibot";
import type { FieldProblem } from "../actions/errors";
import type { ActionType } from "../actions/model";
import {
  FILE_TYPES,
  issuesToProblems,
  JsonSubmission,
  MAX_LIST_ITEMS,
  MultipartSubmission,
  PARAMS_SCHEMAS,
  SINGLE_FILE_TYPES,
} from "../actions/params";
import type { Submission } from "../engine/submission";
import { BodyDeadline, readBoundedBytes } from "./body-limits";
import type { AppConfig } from "./env";
import {
  boundaryOf,
  type MultipartBody,
  type RequestSpool,
  readMultipart,
  textFieldsTooLong,
} from "./multipart";
import { HttpProblem, invalid } from "./problem";

const nothingToDispose = async () => {};

const RESERVED_FIELDS = new Set(["type", "file", "scheduledFor", "notify", "params", "dryRun", "retryOf"]);

/**
 * `spool` streams file parts somewhere as they arrive (Bun: temporary files; the edge: R2); without it
 * the body is read with `formData()` (an edge without R2, whose body limit must then stay small). Memory stays bounded whatever the body: a JSON body and the text
 * fields of a form have their own small limit (`maxJsonBytes`), files go to the spool as they arrive,
 * and the whole body must arrive within `uploadDeadlineMs`.
 */
export async function readSubmission(
  request: Request,
  config: Pick<AppConfig, "maxUploadBytes" | "maxJsonBytes" | "uploadDeadlineMs">,
  spool?: () => RequestSpool,
): Promise<Submission> {
  const deadline = new BodyDeadline(config.uploadDeadlineMs);
  try {
    return await readWithin(request, config, deadline, spool);
  } finally {
    deadline.end();
  }
}

async function readWithin(
  request: Request,
  config: Pick<AppConfig, "maxUploadBytes" | "maxJsonBytes">,
  deadline: BodyDeadline,
  spool?: () => RequestSpool,
): Promise<Submission> {
  // The route table has checked the key's form, the media type and a declared length (run-route.ts).
  const idempotencyKey = request.headers.get("idempotency-key");
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/json") {
    const bytes = await readBoundedBytes(
      request.body,
      config.maxJsonBytes,
      () => tooLarge(config.maxJsonBytes, "A JSON body"),
      deadline,
    );
    return readJson(bytes, idempotencyKey);
  }
  if (mediaType === "multipart/form-data") {
    if (!spool) {
      const bytes = await readBoundedBytes(
        request.body,
        config.maxUploadBytes,
        () => tooLarge(config.maxUploadBytes),
        deadline,
      );
      const form = await readForm(bytes, contentType, config.maxJsonBytes);
      return fromMultipart(form, idempotencyKey, nothingToDispose);
    }
    const boundary = boundaryOf(contentType);
    if (!boundary) throw invalid([{ path: "(body)", message: "The multipart body has no boundary." }], 400);
    const files = spool();
    try {
      const body = await readMultipart(
        request.body,
        boundary,
        files,
        { maxBytes: config.maxUploadBytes, maxTextBytes: config.maxJsonBytes, deadline },
        () => tooLarge(config.maxUploadBytes),
      );
      return fromMultipart(body, idempotencyKey, () => files.dispose());
    } catch (error) {
      await files.dispose();
      throw error;
    }
  }
  throw new HttpProblem(415, "Send application/json, or multipart/form-data when uploading files.", {
    type: "/problems/unsupported-media-type",
  });
}

export const tooLarge = (limit: number, what = "The request") =>
  new HttpProblem(413, `${what} is larger than the limit of ${sizeText(limit)}.`, {
    type: "/problems/too-large",
  });

const sizeText = (bytes: number) =>
  bytes >= 1024 * 1024
    ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`
    : bytes >= 1024
      ? `${Math.round(bytes / 1024)} KiB`
      : `${bytes} bytes`;

function readJson(bytes: Uint8Array, idempotencyKey: string | null): Submission {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid([{ path: "(body)", message: "The body is not valid JSON." }], 400);
  }
  const parsed = v.safeParse(JsonSubmission, body);
  if (!parsed.success) {
    // Name every problem at once: the params too, whenever the type says what they should be (and
    // params was an object: a params that is not one is already named, once).
    const problems = issuesToProblems(parsed.issues);
    const type = (body as { type?: unknown } | null)?.type;
    const paramsNamed = problems.some((problem) => problem.path === "params");
    if (
      typeof type === "string" &&
      type in PARAMS_SCHEMAS &&
      !FILE_TYPES.has(type as ActionType) &&
      !paramsNamed
    ) {
      checkParams(type as ActionType, (body as { params?: unknown }).params, problems);
    }
    throw invalid(problems);
  }
  const { type, params, scheduledFor, notify, dryRun, retryOf } = parsed.output;
  if (FILE_TYPES.has(type)) {
    throw new HttpProblem(
      415,
      `${type} takes its input as a file: send multipart/form-data with a 'file' part.`,
      {
        type: "/problems/unsupported-media-type",
      },
    );
  }
  return {
    type,
    params: checkParams(type, params, []),
    files: [],
    scheduledFor: scheduledFor ? Date.parse(scheduledFor) : null,
    notify: notify !== false,
    idempotencyKey,
    dryRun: dryRun === true,
    retryOf: retryOf ?? null,
    dispose: nothingToDispose,
  };
}

/** The edge's form, read from bytes already bounded; its text fields together stay under `maxTextBytes`. */
async function readForm(
  bytes: Uint8Array,
  contentType: string,
  maxTextBytes: number,
): Promise<MultipartBody> {
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": contentType },
    }).formData();
  } catch {
    throw invalid([{ path: "(body)", message: "The multipart body could not be read." }], 400);
  }
  const body: MultipartBody = { fields: [], files: [] };
  let textBytes = 0;
  for (const [field, value] of form.entries()) {
    if (typeof value !== "string") {
      body.files.push({ field, file: value });
      continue;
    }
    textBytes += value.length;
    if (textBytes > maxTextBytes) throw textFieldsTooLong(field, maxTextBytes);
    body.fields.push([field, value]);
  }
  return body;
}

function fromMultipart(
  body: MultipartBody,
  idempotencyKey: string | null,
  dispose: () => Promise<void>,
): Submission {
  const fields: Record<string, string> = {};
  for (const [key, value] of body.fields) if (!(key in fields)) fields[key] = value;
  const files = body.files.filter((part) => part.field === "file").map((part) => part.file);
  const parsed = v.safeParse(MultipartSubmission, fields);
  if (!parsed.success) throw invalid(issuesToProblems(parsed.issues));
  const { type, scheduledFor, notify, dryRun, retryOf } = parsed.output;
  const problems: FieldProblem[] = [];
  if (FILE_TYPES.has(type) && files.length === 0)
    problems.push({ path: "file", message: "file is required: attach the file to upload" });
  if (SINGLE_FILE_TYPES.has(type) && files.length > 1)
    problems.push({ path: "file", message: "upload exactly one file for this type" });
  if (!FILE_TYPES.has(type) && files.length > 0)
    problems.push({ path: "file", message: `${type} takes no file` });
  return {
    type,
    params: checkParams(type, paramsFromFields(body.fields, fields), problems),
    files,
    scheduledFor: scheduledFor ? Date.parse(scheduledFor) : null,
    notify: notify !== "false",
    idempotencyKey,
    dryRun: dryRun === "true",
    retryOf: retryOf ?? null,
    dispose,
  };
}

/** Multipart params: a JSON `params` field, or one field per param (repeated fields make a list). */
function paramsFromFields(
  entries: [string, string][],
  fields: Record<string, string>,
): Record<string, unknown> {
  if (fields.params) {
    try {
      return JSON.parse(fields.params);
    } catch {
      throw invalid([{ path: "params", message: "params is not valid JSON" }]);
    }
  }
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    if (RESERVED_FIELDS.has(key)) continue;
    const all = entries.filter(([name]) => name === key).map(([, value]) => value);
    params[key] = all.length > 1 || key === "courses" ? listOfFields(all) : all[0];
    if (key === "score" && typeof params[key] === "string") params[key] = Number(params[key]);
  }
  return params;
}

/**
 * Comma-separated (and repeated) fields as one list, cut one item past the longest list a param takes:
 * `courses=,,,,…` of 100 KB made 100,000 strings, then as many problems. One too many is enough for the
 * list's length check to name the problem.
 */
function listOfFields(values: string[]): string[] {
  const list: string[] = [];
  for (const value of values) {
    for (const item of value.split(",", MAX_LIST_ITEMS + 1 - list.length)) list.push(item.trim());
    if (list.length > MAX_LIST_ITEMS) break;
  }
  return list;
}

function checkParams(type: ActionType, params: unknown, problems: FieldProblem[]): Record<string, unknown> {
  const parsed = v.safeParse(PARAMS_SCHEMAS[type], params ?? {});
  // A loop, not push(...issues): spreading a huge list overflowed the stack (a 500 for a 30 MB body).
  if (!parsed.success)
    for (const problem of issuesToProblems(parsed.issues, "params")) problems.push(problem);
  if (problems.length > 0) throw invalid(problems);
  return parsed.output as Record<string, unknown>;
}
