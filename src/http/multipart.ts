/**
 * A streaming multipart/form-data reader (RFC 7578). `request.formData()` holds the whole body in memory,
 * and a copy of each file; this reads the body as it arrives, keeps text fields (bounded) and hands each
 * file part's bytes to a spool, so a 50 MB upload costs a few chunks of memory, never the file.
 */
import type { FieldProblem } from "../actions/errors";
import type { UploadedFile } from "../engine/submission";
import { type BodyDeadline, releaseQuietly } from "./body-limits";
import { type HttpProblem, invalid } from "./problem";

/** Where file parts go while the body is read (a temp file in Bun, R2 at the edge). */
export interface Spool {
  create(fileName: string): SpoolWriter;
}

/** The spool of one request: its files are removed by `dispose` once the request is done with them. */
export interface RequestSpool extends Spool {
  dispose(): Promise<void>;
}

export interface SpoolWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** The file as the handlers read it, once every byte is written. */
  close(): Promise<UploadedFile>;
}

export interface MultipartBody {
  /** Text fields in the order sent (a name may repeat). */
  fields: [string, string][];
  /** File parts in the order sent, with their field name. */
  files: { field: string; file: UploadedFile }[];
}

export interface MultipartLimits {
  /** The whole body (413 over it). */
  maxBytes: number;
  /** One text field. */
  maxFieldBytes?: number;
  /** Text fields and files together. */
  maxParts?: number;
  /** All text fields together: they are held in memory (a file part goes to the spool). */
  maxTextBytes?: number;
  /** The whole body must arrive by then (408). */
  deadline?: BodyDeadline;
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;

const malformed = (why: string) =>
  invalid([{ path: "(body)", message: `The multipart body could not be read: ${why}.` }], 400);

/** The boundary of a `multipart/form-data` content type, or null when it has none. */
export function boundaryOf(contentType: string): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** The 413 for text fields over `maxTextBytes` together, named by the field that went over. */
export const textFieldsTooLong = (field: string, maxTextBytes: number) =>
  invalid([{ path: field, message: `the text fields are longer than ${maxTextBytes} bytes together` }], 413);

export async function readMultipart(
  body: ReadableStream<Uint8Array> | null,
  boundary: string,
  spool: Spool,
  limits: MultipartLimits,
  tooLarge: () => HttpProblem,
): Promise<MultipartBody> {
  const result: MultipartBody = { fields: [], files: [] };
  if (!body) throw malformed("the body is empty");
  const maxFieldBytes = limits.maxFieldBytes ?? 1024 * 1024;
  const maxParts = limits.maxParts ?? 1_000;
  const maxTextBytes = limits.maxTextBytes ?? maxFieldBytes;
  let textBytes = 0;
  // Searching for CRLF--boundary everywhere, the body is read as if it began with a CRLF.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let buffer: Buffer = Buffer.from(CRLF);
  let state = "preamble" as "preamble" | "after-delimiter" | "headers" | "body" | "done";
  let total = 0;
  let part: { name: string; writer: SpoolWriter | null; text: Buffer[]; textBytes: number } | null = null;

  const finishPart = async () => {
    if (!part) return;
    if (part.writer) result.files.push({ field: part.name, file: await part.writer.close() });
    else result.fields.push([part.name, Buffer.concat(part.text).toString("utf8")]);
    part = null;
  };
  const emit = async (bytes: Buffer) => {
    if (!part || bytes.length === 0) return;
    // Buffers are never changed in place, so a file part can take a view; a text part keeps a copy.
    if (part.writer) return part.writer.write(bytes);
    part.textBytes += bytes.length;
    textBytes += bytes.length;
    if (part.textBytes > maxFieldBytes)
      throw invalid(
        [{ path: part.name, message: `${part.name} is longer than ${maxFieldBytes} bytes` } as FieldProblem],
        413,
      );
    if (textBytes > maxTextBytes) throw textFieldsTooLong(part.name, maxTextBytes);
    part.text.push(Buffer.from(bytes));
  };
  /** Consumes what the buffer allows; returns false when it needs more bytes. */
  const step = async (): Promise<boolean> => {
    switch (state) {
      case "preamble": {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length));
          return false;
        }
        buffer = buffer.subarray(at + delimiter.length);
        state = "after-delimiter";
        return true;
      }
      case "after-delimiter": {
        if (buffer.length < 2) return false;
        if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
          state = "done";
          return false;
        }
        // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
        const eol = buffer.indexOf(CRLF);
        if (eol < 0) {
          if (buffer.length > 256) throw malformed("a boundary line does not end");
          return false;
        }
        if (!/^[ \t]*$/.test(buffer.subarray(0, eol).toString("latin1")))
          throw malformed("a boundary is followed by other text");
        buffer = buffer.subarray(eol + 2);
        state = "headers";
        return true;
      }
      case "headers": {
        const end = buffer.indexOf(HEADER_END);
        // An empty header block ends at once: the part's body starts after one CRLF.
        const empty = buffer.length >= 2 && buffer[0] === 0x0d && buffer[1] === 0x0a;
        if (end < 0 && !empty) {
          if (buffer.length > MAX_HEADER_BYTES) throw malformed("a part's headers are too long");
          return false;
        }
        const headerText = empty ? "" : buffer.subarray(0, end).toString("utf8");
        buffer = buffer.subarray(empty ? 2 : end + 4);
        if (result.fields.length + result.files.length >= maxParts)
          throw malformed(`it has more than ${maxParts} parts`);
        const headers = parseHeaders(headerText);
        const disposition = headers.get("content-disposition");
        if (!disposition || !/^form-data\b/i.test(disposition))
          throw malformed("a part has no Content-Disposition: form-data header");
        const params = dispositionParams(disposition);
        const name = params.get("name");
        if (name === undefined) throw malformed("a part has no name");
        const fileName = params.get("filename*") ?? params.get("filename");
        part = {
          name,
          writer: fileName === undefined ? null : spool.create(fileName),
          text: [],
          textBytes: 0,
        };
        state = "body";
        return true;
      }
      case "body": {
        const at = buffer.indexOf(delimiter);
        if (at >= 0) {
          await emit(buffer.subarray(0, at));
          await finishPart();
          buffer = buffer.subarray(at + delimiter.length);
          state = "after-delimiter";
          return true;
        }
        // Everything but a tail that could be the start of the delimiter belongs to the part.
        const safe = buffer.length - (delimiter.length - 1);
        if (safe > 0) {
          await emit(buffer.subarray(0, safe));
          buffer = buffer.subarray(safe);
        }
        return false;
      }
      case "done":
        return false;
    }
  };

  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await (limits.deadline ? limits.deadline.read(reader) : reader.read());
      if (done) break;
      total += value.length;
      if (total > limits.maxBytes) throw tooLarge();
      if (state === "done") continue; // the epilogue is ignored
      buffer = buffer.length === 0 ? Buffer.from(value) : Buffer.concat([buffer, value]);
      while (await step()) {}
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    releaseQuietly(reader);
  }
  if (state !== "done") throw malformed("it ends before its closing boundary");
  return result;
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed("a part has a header line without a name");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** `form-data; name="file"; filename="a.csv"` → name, filename (and RFC 5987 `filename*`). */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([\w*.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const key = match[1]!.toLowerCase();
    let text = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3]!.trim();
    if (key.endsWith("*")) {
      const extended = /^([\w-]+)'[^']*'(.*)$/.exec(text);
      if (!extended) continue;
      try {
        text = decodeURIComponent(extended[2]!);
      } catch {
        continue;
      }
    }
    if (!params.has(key)) params.set(key, text);
  }
  return params;
}
