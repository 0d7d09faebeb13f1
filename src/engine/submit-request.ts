/**
 * Reads `POST /v1/actions` into a Submission: JSON or multipart, every problem named at once
 * (400 malformed, 413 too large, 415 wrong media type, 422 invalid fields).
 */
import * as v from "valibot";
import type { ActionType } from "../actions/model";
import {
  FILE_TYPES,
  issuesToProblems,
  JsonSubmission,
  MultipartSubmission,
  PARAMS_SCHEMAS,
  SINGLE_FILE_TYPES,
} from "../actions/params";
import type { AppConfig } from "../http/env";
import {
  boundaryOf,
  type MultipartBody,
  type RequestSpool,
  readMultipart,
  type UploadedFile,
} from "../http/multipart";
import { type FieldProblem, HttpProblem, invalid } from "../http/problem";

export interface Submission {
  type: ActionType;
  params: Record<string, unknown>;
  files: UploadedFile[];
  scheduledFor: number | null;
  notify: boolean;
  idempotencyKey: string | null;
  /** Removes the upload's spooled files; call once the request is done with them. */
  dispose(): Promise<void>;
}

const nothingToDispose = async () => {};

const RESERVED_FIELDS = new Set(["type", "file", "scheduledFor", "notify", "params"]);

/**
 * `spool` streams file parts somewhere as they arrive (Bun: temporary files; the edge: R2); without it
 * the body is read with `formData()` (an edge without R2, whose body limit must then stay small).
 */
export async function readSubmission(
  request: Request,
  config: Pick<AppConfig, "maxUploadBytes">,
  spool?: () => RequestSpool,
): Promise<Submission> {
  const idempotencyKey = request.headers.get("idempotency-key");
  if (idempotencyKey !== null && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
    throw invalid(
      [{ path: "Idempotency-Key", message: "Idempotency-Key must be 1 to 200 visible ASCII characters" }],
      400,
    );
  }
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > config.maxUploadBytes) throw tooLarge(config.maxUploadBytes);
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/json") return readJson(request, idempotencyKey);
  if (mediaType === "multipart/form-data") {
    if (!spool) return fromMultipart(await readForm(request), idempotencyKey, nothingToDispose);
    const boundary = boundaryOf(contentType);
    if (!boundary) throw invalid([{ path: "(body)", message: "The multipart body has no boundary." }], 400);
    const files = spool();
    try {
      const body = await readMultipart(
        request.body,
        boundary,
        files,
        { maxBytes: config.maxUploadBytes },
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

export const tooLarge = (limit: number) =>
  new HttpProblem(413, `The request is larger than the limit of ${Math.round(limit / 1024 / 1024)} MB.`, {
    type: "/problems/too-large",
  });

async function readJson(request: Request, idempotencyKey: string | null): Promise<Submission> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw invalid([{ path: "(body)", message: "The body is not valid JSON." }], 400);
  }
  const parsed = v.safeParse(JsonSubmission, body);
  if (!parsed.success) {
    // Name every problem at once: the params too, whenever the type says what they should be.
    const problems = issuesToProblems(parsed.issues);
    const type = (body as { type?: unknown } | null)?.type;
    if (typeof type === "string" && type in PARAMS_SCHEMAS && !FILE_TYPES.has(type as ActionType)) {
      checkParams(type as ActionType, (body as { params?: unknown }).params, problems);
    }
    throw invalid(problems);
  }
  const { type, params, scheduledFor, notify } = parsed.output;
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
    dispose: nothingToDispose,
  };
}

async function readForm(request: Request): Promise<MultipartBody> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw invalid([{ path: "(body)", message: "The multipart body could not be read." }], 400);
  }
  const body: MultipartBody = { fields: [], files: [] };
  for (const [field, value] of form.entries()) {
    if (typeof value === "string") body.fields.push([field, value]);
    else body.files.push({ field, file: value });
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
  const { type, scheduledFor, notify } = parsed.output;
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
    params[key] =
      all.length > 1 || key === "courses" ? all.flatMap((x) => x.split(",").map((s) => s.trim())) : all[0];
    if (key === "score" && typeof params[key] === "string") params[key] = Number(params[key]);
  }
  return params;
}

function checkParams(type: ActionType, params: unknown, problems: FieldProblem[]): Record<string, unknown> {
  const parsed = v.safeParse(PARAMS_SCHEMAS[type], params ?? {});
  if (!parsed.success) problems.push(...issuesToProblems(parsed.issues, "params"));
  if (problems.length > 0) throw invalid(problems);
  return parsed.output as Record<string, unknown>;
}
