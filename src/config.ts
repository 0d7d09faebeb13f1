/**
 * The environment, parsed once at the entry with valibot. Every problem is collected and reported
 * together, each naming its variable, so a bad deployment fails at start-up with one clear message.
 */
import * as v from "valibot";
import { isCronPattern } from "./lib/cron";
import { parseDuration } from "./lib/duration";

export const DEV_AUTH_SECRET = "dev-only-secret-do-not-use-in-production";

const duration = (name: string) =>
  v.pipe(
    v.string(),
    v.check((text) => parseDuration(text) !== null, `${name} must be a duration such as 90s, 2h or 7d`),
    v.transform((text) => parseDuration(text)!),
  );

const positiveInt = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(1, `${name} must be at least 1`),
  );

const positiveNumber = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, `${name} must be a number such as 2 or 0.5`),
    v.transform(Number),
    v.minValue(0.01, `${name} must be at least 0.01`),
  );

const cronPattern = (name: string) =>
  v.pipe(
    v.string(),
    v.check(
      isCronPattern,
      `${name} must be a cron pattern such as "*/10 * * * *" (6 fields allowed for seconds)`,
    ),
  );

const EnvSchema = v.object({
  NODE_ENV: v.optional(v.string(), "development"),
  PORT: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "PORT must be a port number"),
      v.transform(Number),
      v.maxValue(65535),
    ),
    "8787",
  ),
  DATABASE_URL: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^(file:|libsql:|https?:|wss?:)/,
        "DATABASE_URL must start with file:, libsql:, https: or wss:",
      ),
    ),
    "file:./data/tracker.db",
  ),
  DATABASE_AUTH_TOKEN: v.optional(v.string()),
  AUTH_SECRET: v.optional(v.pipe(v.string(), v.minLength(16, "AUTH_SECRET must be at least 16 characters"))),
  RESEND_API_KEY: v.optional(v.string()),
  MAIL_FROM: v.optional(v.string(), "Action tracker <tracker@localhost>"),
  PUBLIC_URL: v.optional(
    v.pipe(v.string(), v.url("PUBLIC_URL must be a URL such as https://tracker.example.com")),
  ),
  REPORT_RETENTION: v.optional(duration("REPORT_RETENTION"), "7d"),
  EXPIRY_CRON: v.optional(cronPattern("EXPIRY_CRON"), "*/10 * * * *"),
  ACTION_TIMEOUT: v.optional(duration("ACTION_TIMEOUT"), "2h"),
  CORS_ORIGINS: v.optional(v.string(), ""),
  ROLE: v.optional(v.picklist(["api", "worker", "all"], "ROLE must be api, worker or all"), "all"),
  // Engine limits (beyond the contract's table; safe defaults).
  MAX_UPLOAD_BYTES: v.optional(positiveInt("MAX_UPLOAD_BYTES"), String(100 * 1024 * 1024)),
  MAX_FILE_BYTES: v.optional(positiveInt("MAX_FILE_BYTES"), String(50 * 1024 * 1024)),
  MAX_ROWS_PER_FILE: v.optional(positiveInt("MAX_ROWS_PER_FILE"), "1000000"),
  RATE_LIMIT_ACTIONS: v.optional(positiveInt("RATE_LIMIT_ACTIONS"), "60"),
  MAX_STREAMS_PER_PERSON: v.optional(positiveInt("MAX_STREAMS_PER_PERSON"), "20"),
  WORKER_LEASE: v.optional(duration("WORKER_LEASE"), "30s"),
  WORKER_CONCURRENCY: v.optional(positiveInt("WORKER_CONCURRENCY"), "4"),
  PORTAL_CONCURRENCY: v.optional(positiveInt("PORTAL_CONCURRENCY"), "2"),
  // Mail at the provider's pace, and reminder series (issues 18 and 12).
  MAIL_RATE: v.optional(positiveNumber("MAIL_RATE"), "2"),
  MAIL_PORTAL_RATE: v.optional(positiveInt("MAIL_PORTAL_RATE"), "60000"),
  REMINDER_MIN_INTERVAL: v.optional(duration("REMINDER_MIN_INTERVAL"), "1h"),
  REMINDER_SERIES_MAX: v.optional(positiveInt("REMINDER_SERIES_MAX"), "100"),
  // Bounds against a hostile tenant (docs/security.md).
  MAX_JSON_BYTES: v.optional(positiveInt("MAX_JSON_BYTES"), String(1024 * 1024)),
  MAX_UPLOADS_PER_PERSON: v.optional(positiveInt("MAX_UPLOADS_PER_PERSON"), "3"),
  MAX_UPLOADS: v.optional(positiveInt("MAX_UPLOADS"), "8"),
  UPLOAD_DEADLINE: v.optional(duration("UPLOAD_DEADLINE"), "10m"),
  SESSION_TTL: v.optional(duration("SESSION_TTL"), "12h"),
  SESSION_RECHECK: v.optional(duration("SESSION_RECHECK"), "2s"),
  METRICS_TOKEN: v.optional(
    v.pipe(v.string(), v.minLength(16, "METRICS_TOKEN must be at least 16 characters")),
  ),
});

export interface Config {
  production: boolean;
  port: number;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  authSecret: string;
  authSecretIsDevDefault: boolean;
  resendApiKey: string | undefined;
  mailFrom: string;
  publicUrl: string;
  reportRetentionMs: number;
  expiryCron: string;
  actionTimeoutMs: number;
  corsOrigins: string[];
  role: "api" | "worker" | "all";
  maxUploadBytes: number;
  maxFileBytes: number;
  maxRowsPerFile: number;
  rateLimitActions: number;
  maxStreamsPerPerson: number;
  workerLeaseMs: number;
  workerConcurrency: number;
  portalConcurrency: number;
  /** Send requests per second to the mail provider, for the whole deployment. */
  mailRate: number;
  /** Reminder emails one portal may send per hour (more wait their turn). */
  mailPortalRate: number;
  reminderMinIntervalMs: number;
  /** Occurrences of one reminder series; the last one schedules no successor. */
  reminderSeriesMax: number;
  /** A JSON body, and the text fields of a multipart body together (413 above it). */
  maxJsonBytes: number;
  /** Upload bodies one person may send at once (429 above it), and one process may receive (503). */
  maxUploadsPerPerson: number;
  maxUploads: number;
  /** A request body must have arrived this long after the request started (408 after it). */
  uploadDeadlineMs: number;
  /** A session's lifetime (capped by its token's `exp`), and how often a process re-reads a session it holds. */
  sessionTtlMs: number;
  sessionRecheckMs: number;
  /** When set, `GET /metrics` wants `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws ConfigError listing every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = v.safeParse(EnvSchema, present);
  if (!result.success) {
    throw new ConfigError(
      result.issues.map((issue) => {
        const key = issue.path?.map((p) => String(p.key)).join(".") ?? "environment";
        return issue.message.includes(key) ? issue.message : `${key}: ${issue.message}`;
      }),
    );
  }
  const e = result.output;
  const production = e.NODE_ENV === "production";
  if (production) {
    const problem = productionSecretProblem(e.AUTH_SECRET);
    if (problem) throw new ConfigError([problem]);
  }
  return {
    production,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databaseAuthToken: e.DATABASE_AUTH_TOKEN,
    authSecret: e.AUTH_SECRET ?? DEV_AUTH_SECRET,
    authSecretIsDevDefault: !e.AUTH_SECRET,
    resendApiKey: e.RESEND_API_KEY,
    mailFrom: e.MAIL_FROM,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    reportRetentionMs: e.REPORT_RETENTION,
    expiryCron: e.EXPIRY_CRON,
    actionTimeoutMs: e.ACTION_TIMEOUT,
    corsOrigins: e.CORS_ORIGINS.split(",")
      .map((origin) => origin.trim())
      .filter(Boolean),
    role: e.ROLE,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxFileBytes: e.MAX_FILE_BYTES,
    maxRowsPerFile: e.MAX_ROWS_PER_FILE,
    rateLimitActions: e.RATE_LIMIT_ACTIONS,
    maxStreamsPerPerson: e.MAX_STREAMS_PER_PERSON,
    workerLeaseMs: e.WORKER_LEASE,
    workerConcurrency: e.WORKER_CONCURRENCY,
    portalConcurrency: e.PORTAL_CONCURRENCY,
    mailRate: e.MAIL_RATE,
    mailPortalRate: e.MAIL_PORTAL_RATE,
    reminderMinIntervalMs: e.REMINDER_MIN_INTERVAL,
    reminderSeriesMax: e.REMINDER_SERIES_MAX,
    maxJsonBytes: e.MAX_JSON_BYTES,
    maxUploadsPerPerson: e.MAX_UPLOADS_PER_PERSON,
    maxUploads: e.MAX_UPLOADS,
    uploadDeadlineMs: e.UPLOAD_DEADLINE,
    sessionTtlMs: e.SESSION_TTL,
    sessionRecheckMs: e.SESSION_RECHECK,
    metricsToken: e.METRICS_TOKEN,
  };
}

/** HS256 wants a key of at least its hash size (RFC 7518 §3.2): 32 bytes. */
export const MIN_PRODUCTION_SECRET_BYTES = 32;

/**
 * Why AUTH_SECRET cannot serve production, or null. The development secret is published in this file,
 * so anyone could sign an admin token with it; a short secret can be guessed offline from one token.
 */
function productionSecretProblem(secret: string | undefined): string | null {
  if (!secret) return "AUTH_SECRET is required when NODE_ENV=production";
  if (secret === DEV_AUTH_SECRET)
    return "AUTH_SECRET is the published development secret; set a random one when NODE_ENV=production";
  if (new TextEncoder().encode(secret).byteLength < MIN_PRODUCTION_SECRET_BYTES)
    return `AUTH_SECRET must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes when NODE_ENV=production`;
  return null;
}
