/**
 * Mail senders: the real one (Resend) and the one used without an API key (a log line).
 * A sender never throws for a delivery problem: it answers whether a retry can help,
 * so the outbox can back off on outages and give up at once on a request Resend will always refuse.
 */
import { type ErrorResponse, Resend } from "resend";

/** One email ready to go; `idempotencyKey` makes a repeated send a no-op at the provider. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  idempotencyKey: string;
}

export type SendResult = { ok: true; providerId: string } | { ok: false; retryable: boolean; error: string };

/** Anything that can deliver an email. An exception means "crashed, outcome unknown". */
export interface MailSender {
  send(email: OutgoingEmail): Promise<SendResult>;
}

/** Structured log sink shared by the mail modules (one JSON object per line). */
export type LogLine = (line: object) => void;

export const jsonLog: LogLine = (line) => console.log(JSON.stringify(line));

/**
 * Whether a Resend error is worth retrying. No status (network failure, timeout, unreadable answer),
 * 5xx, 408 and 429 are transient; a 409 for a request with the same key still in flight resolves itself.
 * Every other 4xx (validation, bad key, same key with another payload) fails the same way every time.
 */
export function isRetryable(error: Pick<ErrorResponse, "statusCode" | "name">): boolean {
  const status = error.statusCode;
  if (status === null || status === undefined) return true;
  if (status >= 500 || status === 408 || status === 429) return true;
  if (status === 409 && error.name === "concurrent_idempotent_requests") return true;
  return false;
}

function describe(error: Partial<ErrorResponse>): string {
  const status = error.statusCode ?? "no status";
  return `Resend ${status} ${error.name ?? "error"}: ${error.message ?? "no message"}`;
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

  async send(email: OutgoingEmail): Promise<SendResult> {
    try {
      const { data, error } = await this.resend.emails.send(
        { from: email.from, to: email.to, subject: email.subject, text: email.text, html: email.html },
        { idempotencyKey: email.idempotencyKey, signal: AbortSignal.timeout(this.timeoutMs) },
      );
      if (error) {
        // The SDK passes the provider's JSON through as is, so do not trust its shape blindly.
        const e: Partial<ErrorResponse> = typeof error === "object" ? error : { message: String(error) };
        return {
          ok: false,
          retryable: isRetryable({ statusCode: e.statusCode ?? null, name: e.name ?? "application_error" }),
          error: describe(e),
        };
      }
      if (!data?.id) return { ok: false, retryable: true, error: "Resend answered without an email id" };
      return { ok: true, providerId: data.id };
    } catch (thrown) {
      return { ok: false, retryable: true, error: `Resend request threw: ${String(thrown)}` };
    }
  }
}

/**
 * Stands in for Resend when no API key is configured (development, demos): the email is
 * written as one log line and counts as sent, so the outbox still records it.
 */
export class LogSender implements MailSender {
  private count = 0;

  constructor(private readonly log: LogLine = jsonLog) {}

  async send(email: OutgoingEmail): Promise<SendResult> {
    this.count += 1;
    const providerId = `logged-${this.count}`;
    this.log({
      msg: "mail.logged",
      providerId,
      from: email.from,
      to: email.to,
      subject: email.subject,
      idempotencyKey: email.idempotencyKey,
      text: email.text,
    });
    return { ok: true, providerId };
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
