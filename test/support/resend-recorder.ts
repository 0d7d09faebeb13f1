/**
 * A local stand-in for the Resend API (`POST /emails`) so tests drive the real SDK over real HTTP.
 * It checks the bearer key, validates the required fields, records accepted emails and honours
 * `Idempotency-Key` like Resend: the same key and payload replay the first answer without sending again;
 * the same key with another payload is a 409. Failures and dropped connections can be scripted.
 */

/** An email the recorder accepted, as the SDK sent it (snake_case API fields). */
export interface RecordedEmail {
  id: string;
  idempotencyKey: string | null;
  from: string;
  to: string | string[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: unknown;
  payload: Record<string, unknown>;
}

export interface ResendRecorder {
  /** Base URL for `RESEND_BASE_URL` (no trailing slash). */
  readonly url: string;
  readonly apiKey: string;
  /** Every accepted (and not replayed) email, in order. */
  readonly emails: RecordedEmail[];
  /** Every HTTP request received, including failed, dropped and replayed ones. */
  readonly requests: number;
  /** The next `n` requests answer `status` with a Resend-style error body (or `body`). */
  failNext(n: number, status: number, body?: Record<string, unknown>): void;
  /**
   * The next `n` requests lose their connection without an answer. With `afterAccept` the email is
   * accepted first (the answer is lost on the way back), which only the idempotency key makes safe.
   */
  dropNext(n: number, options?: { afterAccept?: boolean }): void;
  /** Delay every answer, so concurrent callers really overlap. */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

type Script =
  | { kind: "fail"; status: number; body?: Record<string, unknown> }
  | { kind: "drop"; afterAccept: boolean };

const ERROR_NAMES: Record<number, string> = {
  400: "invalid_parameter",
  401: "missing_api_key",
  403: "invalid_api_key",
  409: "invalid_idempotent_request",
  422: "validation_error",
  429: "rate_limit_exceeded",
  500: "internal_server_error",
};

function errorResponse(status: number, message: string, name?: string): Response {
  const body = { statusCode: status, name: name ?? ERROR_NAMES[status] ?? "application_error", message };
  return Response.json(body, { status });
}

/** A body that errors before its first byte: Bun resets the connection, the client sees a network error. */
function droppedConnection(): Response {
  return new Response(
    new ReadableStream({
      pull(controller) {
        controller.error();
      },
    }),
  );
}

export function startResendRecorder(options: { apiKey?: string } = {}): ResendRecorder {
  const apiKey = options.apiKey ?? "re_test_key";
  const emails: RecordedEmail[] = [];
  const script: Script[] = [];
  const byKey = new Map<string, { raw: string; id: string }>();
  let requests = 0;
  let latencyMs = 0;

  function accept(payload: Record<string, unknown>, raw: string, key: string | null): string {
    const id = crypto.randomUUID();
    emails.push({
      id,
      idempotencyKey: key,
      from: String(payload.from),
      to: payload.to as string | string[],
      subject: String(payload.subject),
      ...(typeof payload.text === "string" ? { text: payload.text } : {}),
      ...(typeof payload.html === "string" ? { html: payload.html } : {}),
      ...(payload.attachments !== undefined ? { attachments: payload.attachments } : {}),
      payload,
    });
    if (key) byKey.set(key, { raw, id });
    return id;
  }

  async function handle(req: Request): Promise<Response> {
    requests += 1;
    const raw = await req.text();
    if (latencyMs > 0) await Bun.sleep(latencyMs);
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== "/emails") {
      return errorResponse(404, "Only POST /emails is recorded.", "not_found");
    }
    const auth = req.headers.get("authorization") ?? "";
    if (!auth.startsWith("Bearer ")) return errorResponse(401, "Missing API key.");
    if (auth.slice("Bearer ".length) !== apiKey) return errorResponse(403, "API key is invalid.");

    const step = script.shift();
    if (step?.kind === "fail") {
      return step.body
        ? Response.json(step.body, { status: step.status })
        : errorResponse(step.status, `Scripted failure ${step.status}.`);
    }
    if (step?.kind === "drop" && !step.afterAccept) return droppedConnection();

    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return errorResponse(400, "Body is not JSON.");
    }
    for (const field of ["from", "to", "subject"]) {
      if (!payload[field]) {
        return errorResponse(422, `The \`${field}\` field is missing.`, "missing_required_field");
      }
    }
    if (!payload.html && !payload.text) return errorResponse(422, "Provide `html` or `text`.");

    const key = req.headers.get("idempotency-key");
    if (key !== null && (key.length === 0 || key.length > 256)) {
      return errorResponse(400, "Idempotency key must be 1 to 256 characters.", "invalid_idempotency_key");
    }
    const previous = key ? byKey.get(key) : undefined;
    let id: string;
    if (previous) {
      if (previous.raw !== raw) {
        return errorResponse(409, "Same idempotency key used with a different request payload.");
      }
      id = previous.id;
    } else {
      id = accept(payload, raw, key);
    }
    if (step?.kind === "drop") return droppedConnection();
    return Response.json({ id });
  }

  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handle });

  return {
    url: `http://127.0.0.1:${server.port}`,
    apiKey,
    emails,
    get requests() {
      return requests;
    },
    failNext(n, status, body) {
      const step: Script = body ? { kind: "fail", status, body } : { kind: "fail", status };
      for (let i = 0; i < n; i++) script.push(step);
    },
    dropNext(n, dropOptions = {}) {
      const step: Script = { kind: "drop", afterAccept: dropOptions.afterAccept ?? false };
      for (let i = 0; i < n; i++) script.push(step);
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async stop() {
      await server.stop(true);
    },
  };
}
