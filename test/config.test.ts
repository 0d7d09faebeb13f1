import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConfigError, DEV_AUTH_SECRET, parseConfig } from "../src/config";

describe("configuration", () => {
  test("the contract's defaults", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 8787,
      databaseUrl: "file:./data/tracker.db",
      authSecret: DEV_AUTH_SECRET,
      authSecretIsDevDefault: true,
      mailFrom: "Action tracker <tracker@localhost>",
      publicUrl: "http://localhost:8787",
      reportRetentionMs: 7 * 86_400_000,
      expiryCron: "*/10 * * * *",
      actionTimeoutMs: 2 * 3_600_000,
      corsOrigins: [],
      role: "all",
    });
  });

  test("values are parsed: durations, six-field crons, origins, PUBLIC_URL following PORT", () => {
    const config = parseConfig({
      PORT: "9000",
      REPORT_RETENTION: "90s",
      EXPIRY_CRON: "* * * * * *",
      ACTION_TIMEOUT: "45m",
      CORS_ORIGINS: "https://a.example, https://b.example",
      ROLE: "worker",
    });
    expect(config).toMatchObject({
      port: 9000,
      publicUrl: "http://localhost:9000",
      reportRetentionMs: 90_000,
      actionTimeoutMs: 2_700_000,
      corsOrigins: ["https://a.example", "https://b.example"],
      role: "worker",
    });
  });

  test("every bad variable is named at once", () => {
    let error: ConfigError | undefined;
    try {
      parseConfig({
        PORT: "eighty",
        REPORT_RETENTION: "a week",
        EXPIRY_CRON: "every day",
        ROLE: "boss",
        DATABASE_URL: "postgres://x",
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ["PORT", "REPORT_RETENTION", "EXPIRY_CRON", "ROLE", "DATABASE_URL"])
      expect(error!.message).toContain(name);
  });

  test("production requires AUTH_SECRET", () => {
    expect(() => parseConfig({ NODE_ENV: "production" })).toThrow("AUTH_SECRET is required");
    expect(
      parseConfig({ NODE_ENV: "production", AUTH_SECRET: "a-long-enough-production-secret-0123" }).production,
    ).toBe(true);
  });

  test("a bad value stops start-up with a message naming the variable", async () => {
    const proc = Bun.spawn([resolve("node_modules/.bin/bun"), "src/main.ts"], {
      env: { ...process.env, REPORT_RETENTION: "forever", DATABASE_URL: "file:/tmp/never-created.db" },
      stderr: "pipe",
      stdout: "ignore",
    });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("REPORT_RETENTION");
  });
});
