/** The streaming multipart reader: same answer as `formData()`, whatever the chunking; bad bodies refused. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { boundaryOf, type MultipartBody, readMultipart } from "../src/http/multipart";
import { HttpProblem } from "../src/http/problem";
import { UploadSpool } from "../src/http/upload-spool";
import { ADA, bearer, tempDir } from "./support/env";
import { startTestTracker, type TestTracker } from "./support/tracker";

const dir = tempDir("multipart-");
afterAll(() => dir.cleanup());

/** A body as a stream cut into pieces of the given sizes (cycled). */
function chunked(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const size = sizes[i++ % sizes.length]!;
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function encode(form: FormData): Promise<{ bytes: Uint8Array; boundary: string }> {
  const request = new Request("http://x/", { method: "POST", body: form });
  const boundary = boundaryOf(request.headers.get("content-type")!)!;
  return { bytes: new Uint8Array(await request.arrayBuffer()), boundary };
}

async function read(bytes: Uint8Array, boundary: string, sizes = [65_536], maxBytes = 1 << 30) {
  const spool = new UploadSpool(join(dir.path, "spool"));
  const body = await readMultipart(chunked(bytes, sizes), boundary, spool, { maxBytes }, () => {
    return new HttpProblem(413, "too large");
  });
  const files = await Promise.all(
    body.files.map(async (f) => ({
      field: f.field,
      name: f.file.name,
      text: await new Response(f.file.stream()).text(),
    })),
  );
  await spool.dispose();
  return { fields: body.fields, files };
}

const tricky = `a,b\r\n--not-the-boundary\r\n\r\n--${"x".repeat(70)}\r\nend\r`;

test("fields and files come out as formData() reads them, however the body is cut", async () => {
  const form = new FormData();
  form.append("type", "user_upload");
  form.append("courses", "C-1");
  form.append("courses", "C-2");
  form.append("note", "ünïcödé\r\nline two");
  form.append("file", new File([tricky], 'Résumé "2026".csv'));
  form.append("file", new File([new Uint8Array(30_000).fill(45)], "dashes.bin"));
  const { bytes, boundary } = await encode(form);
  const expected: MultipartBody["fields"] = [
    ["type", "user_upload"],
    ["courses", "C-1"],
    ["courses", "C-2"],
    ["note", "ünïcödé\r\nline two"],
  ];
  for (const sizes of [[1], [7, 3, 1000], [65_536], [bytes.length]]) {
    const body = await read(bytes, boundary, sizes);
    expect(body.fields).toEqual(expected);
    // Browsers and Bun write a quote in a file name as %22, and formData() leaves it so: the same here.
    expect(body.files.map((f) => [f.field, f.name])).toEqual(
      [...(await new Request("http://x/", { method: "POST", body: form }).formData()).entries()].flatMap(
        ([k, v]) => (typeof v === "string" ? [] : [[k, (v as unknown as File).name]]),
      ),
    );
    expect(body.files[0]!.name).toBe("Résumé %222026%22.csv");
    expect(body.files[0]!.text).toBe(tricky);
    expect(body.files[1]!.text).toBe("-".repeat(30_000));
  }
});

test("a preamble, an epilogue, transport padding and RFC 5987 file names are understood", async () => {
  const b = "XyZ";
  const text = [
    "preamble to ignore",
    `--${b}  `,
    `Content-Disposition: form-data; name="file"; filename="plain.csv"; filename*=UTF-8''na%C3%AFve.csv`,
    "Content-Type: text/csv",
    "",
    "email",
    `--${b}--`,
    "epilogue to ignore",
  ].join("\r\n");
  const body = await read(new TextEncoder().encode(text), b);
  expect(body.files).toEqual([{ field: "file", name: "naïve.csv", text: "email" }]);
});

test("truncated, headerless, nameless and oversized bodies are refused with a clear problem", async () => {
  const b = "B0undary";
  const enc = (s: string) => new TextEncoder().encode(s);
  const problem = async (bytes: Uint8Array, maxBytes?: number) => {
    try {
      await read(bytes, b, [5], maxBytes);
    } catch (error) {
      expect(error).toBeInstanceOf(HttpProblem);
      const p = error as HttpProblem;
      return `${p.status} ${p.options.errors?.[0]?.message ?? p.detail}`;
    }
    throw new Error("accepted");
  };
  const part = `--${b}\r\nContent-Disposition: form-data; name="type"\r\n\r\nuser_upload\r\n`;
  expect(await problem(enc(part))).toMatch(/^400 .*ends before its closing boundary/);
  expect(await problem(enc(`--${b}\r\nX-Other: 1\r\n\r\nv\r\n--${b}--`))).toMatch(/Content-Disposition/);
  expect(await problem(enc(`--${b}\r\nContent-Disposition: form-data\r\n\r\nv\r\n--${b}--`))).toMatch(
    /no name/,
  );
  expect(
    await problem(enc(`--${b}\r\nContent-Disposition: form-data; name="a"\r\n${"h".repeat(20_000)}`)),
  ).toMatch(/headers are too long/);
  expect(await problem(enc(`${part}--${b}--`), 10)).toBe("413 too large");
  const long = `--${b}\r\nContent-Disposition: form-data; name="params"\r\n\r\n${"p".repeat(1_100_000)}\r\n--${b}--`;
  expect(await problem(enc(long))).toMatch(/^413 params is longer than/);
  expect(await problem(enc(""))).toMatch(/ends before its closing boundary/);
});

let t: TestTracker;
beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(() => t.stop());

test("through the API, uploaded files are spooled to disk and removed when the request ends", async () => {
  const spoolDir = join(t.dir, "uploads");
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("file", new File(["email\nspool@x.com\n"], "spooled.csv"));
  const accepted = await t.request("/v1/actions", { method: "POST", headers: bearer(ADA), body: form });
  expect(accepted.status).toBe(202);
  expect((await accepted.json()).fileName).toBe("spooled.csv");
  expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);

  const { bytes, boundary } = await encode(form);
  const truncated = await t.request("/v1/actions", {
    method: "POST",
    headers: { ...bearer(ADA), "content-type": `multipart/form-data; boundary=${boundary}` },
    body: bytes.slice(0, bytes.length - 10),
  });
  expect(truncated.status).toBe(400);
  expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);
});
