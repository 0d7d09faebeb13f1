/**
 * Mail senders: the real one (Resend) and the one used without an API key (a log line).
 * One call is one request to the provider: a single email (`POST /emails`) or a batch of up to 100
 * (`POST /emails/batch`), under one Idempotency-Key. A sender never throws for a delivery problem: it
 * says what kind of problem it was, so the outbox can wait out a rate limit without counting it, back
 * off on outages, split a batch the provider refused, and give up at once where nothing would help.
 */
import { type ErrorResponse, Resend } from "resend";

/** One email ready to go. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Resend takes up to 100 emails per batch request. */
export const MAX_BATCH = 100;

export type SendFailure =
  /** Rate limited (429): not an attempt; nobody sends for `waitMs`, then slower for a while. */
  | { ok: false; outcome: "throttled"; waitMs: number; error: string }
  /**
   * The same request is still being answered (409 concurrent_idempotent_requests: its first sender is slow
   * or died mid-request): not an attempt, and no rate signal; this unit waits `waitMs`, other mail goes on.
   */
  | { ok: false; outcome: "busy"; waitMs: number; error: string }
  /** Network failure, timeout, 5xx: a retry may work; counts as an attempt. */
  | { ok: false; outcome: "transient"; error: string }
  /** The request's content was refused (400/422), so nothing was sent: a batch may be split and retried. */
  | { ok: false; outcome: "rejected"; error: string }
  /** Refused in a way no retry fixes (bad API key, the same key with another payload). */
  | { ok: false; outcome: "permanent"; error: string };

/** `providerIds[i]` is the provider's id of `emails[i]`. */
export type SendResult = { ok: true; providerIds: string[] } | SendFailure;

/** Anything that can deliver emails. An exception means "crashed, outcome unknown". */
export interface MailSender {
  send(emails: OutgoingEmail[], idempotencyKey: string): Promise<SendResult>;
}

/** Structured log sink shared by the mail modules (one JSON object per line). */
export type LogLine = (line: object) => void;

export const jsonLog: LogLine = (line) => console.log(JSON.stringify(line));

/** Waits told by a provider are honoured up to an hour (a daily quota says more; the next run asks again). */
const MAX_WAIT_MS = 3_600_000;
const DEFAULT_WAIT_MS = 1_000;

/**
 * How long a 429 asks us to wait: `retry-after` (seconds or an HTTP date), else the IETF `ratelimit-reset`
 * (seconds until the window resets), else a second.
 */
export function waitFromHeaders(headers: Record<string, string> | null, now = Date.now()): number {
  const seconds = (value: string | undefined): number | null => {
    if (value === undefined) return null;
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
    const date = Date.parse(text);
    return Number.isNaN(date) ? null : date - now;
  };
  const wait = seconds(headers?.["retry-after"]) ?? seconds(headers?.["ratelimit-reset"]) ?? DEFAULT_WAIT_MS;
  return Math.min(MAX_WAIT_MS, Math.max(250, wait));
}

/** Sorts a Resend error into what the outbox should do about it. */
export function classify(
  error: Partial<Pick<ErrorResponse, "statusCode" | "name" | "message">>,
  headers: Record<string, string> | null = null,
): SendFailure {
  const status = error.statusCode;
  const text = `Resend ${status ?? "no status"} ${error.name ?? "error"}: ${error.message ?? "no message"}`;
  if (status === null || status === undefined) return { ok: false, outcome: "transient", error: text };
  if (status === 429)
    return { ok: false, outcome: "throttled", waitMs: waitFromHeaders(headers), error: text };
  if (status === 409 && error.name === "concurrent_idempotent_requests") {
    return { ok: false, outcome: "busy", waitMs: waitFromHeaders(headers), error: text };
  }
  if (status >= 500 || status === 408) return { ok: false, outcome: "transient", error: text };
  if (status === 400 || status === 422) return { ok: false, outcome: "rejected", error: text };
  return { ok: false, outcome: "permanent", error: text };
}

export interface ResendSenderOptions {
  /** Abort a request that hangs this long; the outbox then retries it. Keep it well under the lease. */
  timeoutMs?: number;
  /** Overrides the API address; by default the SDK reads `RESEND_BASE_URL` when constructed. */
  baseUrl?: string;
}

/**
 * Sends through the official SDK. The SDK returns errors instead of throwing (network errors come
 * back as `application_error` with a null status); anything thrown anyway is treated as transient.
 */
export class ResendSender implements MailSender {
  private readonly resend: Resend;
  private readonly timeoutMs: number;

  constructor(apiKey: string, options: ResendSenderOptions = {}) {
    this.resend = new Resend(apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  async send(emails: OutgoingEmail[], idempotencyKey: string): Promise<SendResult> {
    const options = { idempotencyKey, signal: AbortSignal.timeout(this.timeoutMs) };
    // The same fields in the same order every time: a retry must repeat the payload byte for byte.
    const payload = emails.map(({ from, to, subject, text, html }) => ({ from, to, subject, text, html }));
    try {
      let ids: (string | undefined)[];
      let failure: { error: unknown; headers: Record<string, string> | null } | null = null;
      if (payload.length === 1) {
        const { data, error, headers } = await this.resend.emails.send(payload[0]!, options);
        ids = [data?.id];
        if (error) failure = { error, headers };
      } else {
        const { data, error, headers } = await this.resend.batch.send(payload, options);
        ids = data?.data?.map((entry) => entry?.id) ?? [];
        if (error) failure = { error, headers };
      }
      if (failure) {
        // The SDK passes the provider's JSON through as is, so do not trust its shape blindly.
        const e = failure.error;
        return classify(typeof e === "object" && e ? e : { message: String(e) }, failure.headers);
      }
      if (ids.length !== emails.length || ids.some((id) => !id)) {
        return { ok: false, outcome: "transient", error: "Resend answered without an id for every email" };
      }
      return { ok: true, providerIds: ids as string[] };
    } catch (thrown) {
      return { ok: false, outcome: "transient", error: `Resend request threw: ${String(thrown)}` };
    }
  }
}

/**
 * Stands in for Resend when no API key is configured (development, demos): each email is
 * written as one log line and counts as sent, so the outbox still records it.
 */
export class LogSender implements MailSender {
  private count = 0;

  constructor(private readonly log: LogLine = jsonLog) {}

  async send(emails: OutgoingEmail[], idempotencyKey: string): Promise<SendResult> {
    const providerIds = emails.map((email) => {
      this.count += 1;
      const providerId = `logged-${this.count}`;
      this.log({
        msg: "mail.logged",
        providerId,
        from: email.from,
        to: email.to,
        subject: email.subject,
        idempotencyKey,
        text: email.text,
      });
      return providerId;
    });
    return { ok: true, providerIds };
  }
}

/** Picks the sender from the environment: Resend when `RESEND_API_KEY` is set, the log otherwise. */
export function createMailSender(
  env: { RESEND_API_KEY?: string | undefined },
  log: LogLine = jsonLog,
  options: ResendSenderOptions = {},
): MailSender {
  const key = env.RESEND_API_KEY?.trim();
  return key ? new ResendSender(key, options) : new LogSender(log);
}
