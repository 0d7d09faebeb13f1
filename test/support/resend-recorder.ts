/**
 * A local stand-in for the Resend API so tests and benchmarks drive the real SDK over real HTTP.
 *
 * Like Resend it has `POST /emails` and `POST /emails/batch` (1 to 100 emails, strict validation: one bad
 * email refuses the whole batch with a 422 naming it), checks the bearer key and the required fields, and
 * honours `Idempotency-Key` per request: the same key and payload replay the first answer without sending
 * again, the same key with another payload is a 409 `invalid_idempotent_request`, and a key whose first
 * request is still being answered is a 409 `concurrent_idempotent_requests`.
 *
 * With `rate` it limits requests like Resend's per-team limit: a token bucket of `rate` requests holding at
 * most `rate` (so a steady `rate` per second passes, a burst beyond it does not). Every answer then carries
 * the IETF `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` headers, and a request beyond the
 * rate gets a 429 with `retry-after` (seconds). Failures, dropped connections and held answers can be scripted.
 */

/** An email the recorder accepted (not replayed), as the SDK sent it (snake_case API fields). */
export interface RecordedEmail {
  id: string;
  /** The Idempotency-Key of the request that carried it (a batch's key for each of its emails). */
  idempotencyKey: string | null;
  /** Position of that request in `log`. */
  request: number;
  /** Arrival time of that request (ms since the epoch). */
  at: number;
  from: string;
  to: string | string[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: unknown;
  payload: Record<string, unknown>;
}

/** One request as the recorder answered it. */
export interface RecordedRequest {
  at: number;
  path: string;
  status: number;
  idempotencyKey: string | null;
  /** The client's User-Agent (the SDK sends RESEND_USER_AGENT when set: tests name each process with it). */
  agent: string;
  /** Emails in the body (0 when it was refused before reading it). */
  emails: number;
  replayed: boolean;
}

export interface RecorderOptions {
  apiKey?: string;
  /** Requests per second allowed (all endpoints together); beyond it 429. Unlimited when absent. */
  rate?: number;
}

export interface ResendRecorder {
  /** Base URL for `RESEND_BASE_URL` (no trailing slash). */
  readonly url: string;
  readonly apiKey: string;
  /** Every accepted (and not replayed) email, in order. */
  readonly emails: RecordedEmail[];
  /** Every HTTP request received, including failed, dropped and replayed ones. */
  readonly requests: number;
  /** Every request received, in order, with its answer. */
  readonly log: RecordedRequest[];
  /** Requests answered 429 because they came beyond `rate`. */
  readonly rateLimited: number;
  /** The next `n` requests answer `status` with a Resend-style error body (or `body`), and `headers`. */
  failNext(n: number, status: number, body?: Record<string, unknown>, headers?: Record<string, string>): void;
  /**
   * The next `n` requests lose their connection without an answer. With `afterAccept` the email is
   * accepted first (the answer is lost on the way back), which only the idempotency key makes safe.
   */
  dropNext(n: number, options?: { afterAccept?: boolean }): void;
  /**
   * From now on every request that is accepted is recorded, then its answer waits (in `held`) until
   * `resume()`: its sender sits between the send and the record, for killing it there or for writing
   * more mail while no deliverer can claim any.
   */
  pause(): { readonly held: RecordedRequest[]; resume(): void };
  /** Delay every answer, so concurrent callers really overlap. */
  setLatency(ms: number): void;
  /** The most requests (429s included) that arrived within any `windowMs`. */
  busiestWindow(windowMs?: number): number;
  stop(): Promise<void>;
}

type Script =
  | { kind: "fail"; status: number; body?: Record<string, unknown>; headers?: Record<string, string> }
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

const MAX_BATCH = 100;
/** What Resend accepts in `to`: an address, no spaces or line breaks (a display name is not needed here). */
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

function errorResponse(status: number, message: string, name?: string, headers?: HeadersInit): Response {
  const body = { statusCode: status, name: name ?? ERROR_NAMES[status] ?? "application_error", message };
  return Response.json(body, { status, ...(headers ? { headers } : {}) });
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

/** Why an email of the body would be refused, or null. */
function emailProblem(email: unknown, where: string): string | null {
  if (typeof email !== "object" || email === null) return `${where} is not an object.`;
  const e = email as Record<string, unknown>;
  for (const field of ["from", "to", "subject"]) {
    if (!e[field]) return `${where}: the \`${field}\` field is missing.`;
  }
  if (!e.html && !e.text) return `${where}: provide \`html\` or \`text\`.`;
  const to = Array.isArray(e.to) ? e.to : [e.to];
  if (!to.every((address) => typeof address === "string" && ADDRESS.test(address))) {
    return `${where}: invalid \`to\` field.`;
  }
  return null;
}

export function startResendRecorder(options: RecorderOptions = {}): ResendRecorder {
  const apiKey = options.apiKey ?? "re_test_key";
  const emails: RecordedEmail[] = [];
  const log: RecordedRequest[] = [];
  const script: Script[] = [];
  const byKey = new Map<string, { raw: string; ids: string[] }>();
  const inFlight = new Set<string>();
  let paused: { held: RecordedRequest[]; released: Promise<void> } | null = null;
  let latencyMs = 0;
  let rateLimited = 0;
  const rate = options.rate;
  let tokens = rate ?? 0;
  let refilledAt = Date.now();

  /** The bucket's headers, after taking a token if one is there: null when none is (429). */
  function rateHeaders(now: number): { ok: boolean; headers: Record<string, string> } {
    if (rate === undefined) return { ok: true, headers: {} };
    tokens = Math.min(rate, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    const untilToken = Math.max(0, (1 - tokens) / rate);
    const headers: Record<string, string> = {
      "ratelimit-limit": String(rate),
      "ratelimit-remaining": String(Math.floor(tokens)),
      "ratelimit-reset": String(Math.max(1, Math.ceil(untilToken))),
    };
    if (!ok) headers["retry-after"] = String(Math.max(1, Math.ceil(untilToken)));
    return { ok, headers };
  }

  function accept(list: Record<string, unknown>[], raw: string, key: string | null, entry: RecordedRequest) {
    const ids = list.map((payload) => {
      const id = crypto.randomUUID();
      emails.push({
        id,
        idempotencyKey: key,
        request: log.indexOf(entry),
        at: entry.at,
        from: String(payload.from),
        to: payload.to as string | string[],
        subject: String(payload.subject),
        ...(typeof payload.text === "string" ? { text: payload.text } : {}),
        ...(typeof payload.html === "string" ? { html: payload.html } : {}),
        ...(payload.attachments !== undefined ? { attachments: payload.attachments } : {}),
        payload,
      });
      return id;
    });
    if (key) byKey.set(key, { raw, ids });
    return ids;
  }

  async function answer(req: Request, entry: RecordedRequest): Promise<Response> {
    const raw = await req.text();
    if (latencyMs > 0) await Bun.sleep(latencyMs);
    const url = new URL(req.url);
    const batch = url.pathname === "/emails/batch";
    if (req.method !== "POST" || (url.pathname !== "/emails" && !batch)) {
      return errorResponse(404, "Only POST /emails and POST /emails/batch are recorded.", "not_found");
    }
    const auth = req.headers.get("authorization") ?? "";
    if (!auth.startsWith("Bearer ")) return errorResponse(401, "Missing API key.");
    if (auth.slice("Bearer ".length) !== apiKey) return errorResponse(403, "API key is invalid.");
    const limit = rateHeaders(entry.at);
    if (!limit.ok) {
      rateLimited += 1;
      return errorResponse(429, `Too many requests: at most ${rate} per second.`, undefined, limit.headers);
    }
    const withLimit = (res: Response) => {
      for (const [name, value] of Object.entries(limit.headers)) res.headers.set(name, value);
      return res;
    };

    const step = script.shift();
    if (step?.kind === "fail") {
      const res = step.body
        ? Response.json(step.body, { status: step.status })
        : errorResponse(step.status, `Scripted failure ${step.status}.`);
      for (const [name, value] of Object.entries(step.headers ?? {})) res.headers.set(name, value);
      return withLimit(res);
    }
    if (step?.kind === "drop" && !step.afterAccept) return droppedConnection();

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return withLimit(errorResponse(400, "Body is not JSON."));
    }
    const list = (batch ? body : [body]) as Record<string, unknown>[];
    if (batch && (!Array.isArray(list) || list.length < 1 || list.length > MAX_BATCH)) {
      return withLimit(errorResponse(422, `A batch holds 1 to ${MAX_BATCH} emails.`));
    }
    entry.emails = list.length;
    for (const [i, email] of list.entries()) {
      const problem = emailProblem(email, batch ? `Email ${i}` : "The email");
      if (problem) return withLimit(errorResponse(422, problem));
    }

    const key = req.headers.get("idempotency-key");
    if (key !== null && (key.length === 0 || key.length > 256)) {
      return withLimit(
        errorResponse(400, "Idempotency key must be 1 to 256 characters.", "invalid_idempotency_key"),
      );
    }
    if (key && inFlight.has(key)) {
      return withLimit(
        errorResponse(
          409,
          "The first request with this key is in progress.",
          "concurrent_idempotent_requests",
        ),
      );
    }
    const previous = key ? byKey.get(key) : undefined;
    let ids: string[];
    if (previous) {
      if (previous.raw !== raw) {
        return withLimit(errorResponse(409, "Same idempotency key used with a different request payload."));
      }
      entry.replayed = true;
      ids = previous.ids;
    } else {
      ids = accept(list, raw, key, entry);
      const pause = paused;
      if (pause) {
        if (key) inFlight.add(key);
        pause.held.push(entry);
        await pause.released;
        if (key) inFlight.delete(key);
      }
    }
    if (step?.kind === "drop") return droppedConnection();
    return withLimit(Response.json(batch ? { data: ids.map((id) => ({ id })) } : { id: ids[0] }));
  }

  async function handle(req: Request): Promise<Response> {
    const at = Date.now();
    const entry: RecordedRequest = {
      at,
      path: new URL(req.url).pathname,
      status: 0,
      idempotencyKey: req.headers.get("idempotency-key"),
      agent: req.headers.get("user-agent") ?? "",
      emails: 0,
      replayed: false,
    };
    log.push(entry);
    const res = await answer(req, entry);
    entry.status = res.status;
    return res;
  }

  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handle, idleTimeout: 120 });

  return {
    url: `http://127.0.0.1:${server.port}`,
    apiKey,
    emails,
    log,
    get requests() {
      return log.length;
    },
    get rateLimited() {
      return rateLimited;
    },
    failNext(n, status, body, headers) {
      const step: Script = {
        kind: "fail",
        status,
        ...(body ? { body } : {}),
        ...(headers ? { headers } : {}),
      };
      for (let i = 0; i < n; i++) script.push(step);
    },
    dropNext(n, dropOptions = {}) {
      const step: Script = { kind: "drop", afterAccept: dropOptions.afterAccept ?? false };
      for (let i = 0; i < n; i++) script.push(step);
    },
    pause() {
      let resume = () => {};
      const released = new Promise<void>((resolve) => {
        resume = resolve;
      });
      const pause = { held: [] as RecordedRequest[], released };
      paused = pause;
      return {
        held: pause.held,
        resume() {
          if (paused === pause) paused = null;
          resume();
        },
      };
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    busiestWindow(windowMs = 1_000) {
      const times = log.map((r) => r.at).sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= windowMs) j++;
        most = Math.max(most, i - j + 1);
      }
      return most;
    },
    async stop() {
      await server.stop(true);
    },
  };
}
