import { describe, expect, test } from "bun:test";
import { type CompletionEmailAction, completionEmail, escapeHtml, trackerLink } from "../src/mail/template";

const action: CompletionEmailAction = {
  referenceId: "BA-7K3Q9X2M",
  type: "user_upload",
  typeLabel: "User upload",
  status: "completed_with_errors",
  statusLabel: "Completed with errors",
  requester: { name: "Ada Admin", email: "ada@example.com" },
  completedAt: "2026-01-05T09:12:34.567Z",
};

describe("completionEmail", () => {
  test("subject names the type, the reference ID and the status", () => {
    const { subject } = completionEmail(action, "https://tracker.example.com");
    expect(subject).toBe("User upload BA-7K3Q9X2M: Completed with errors");
  });

  test("plain text gives every field of the contract and the tracker link", () => {
    const { text } = completionEmail(action, "https://tracker.example.com");
    expect(text).toContain("User upload");
    expect(text).toContain("Completed with errors");
    expect(text).toContain("BA-7K3Q9X2M");
    expect(text).toContain("Ada Admin <ada@example.com>");
    expect(text).toContain("2026-01-05T09:12:34.567Z");
    expect(text).toContain("https://tracker.example.com/?ref=BA-7K3Q9X2M");
    expect(text).toContain("some rows had errors");
  });

  test("HTML gives the same fields, inline-styled, with a working link", () => {
    const { html } = completionEmail(action, "https://tracker.example.com/");
    for (const part of [
      "User upload",
      "Completed with errors",
      "BA-7K3Q9X2M",
      "Ada Admin",
      "ada@example.com",
    ]) {
      expect(html).toContain(part);
    }
    expect(html).toContain("2026-01-05T09:12:34.567Z");
    expect(html).toContain('href="https://tracker.example.com/?ref=BA-7K3Q9X2M"');
    expect(html).not.toContain("<style");
    expect(html).not.toContain("<script");
  });

  test("completion time is shown in UTC whatever offset it came with", () => {
    const { text, html } = completionEmail(
      { ...action, completedAt: "2026-01-05T11:12:34+02:00" },
      "http://x",
    );
    expect(text).toContain("2026-01-05T09:12:34.000Z");
    expect(html).toContain("2026-01-05T09:12:34.000Z");
  });

  test("a statement per final status, a neutral one otherwise", () => {
    const outcome = (status: string) => completionEmail({ ...action, status }, "http://x").text;
    expect(outcome("completed")).toContain("finished successfully");
    expect(outcome("failed")).toContain("could not be completed");
    expect(outcome("cancelled")).toContain("was cancelled");
    expect(outcome("timeout")).toContain("took too long");
    expect(outcome("something_new")).toContain("has ended");
  });

  test("everything from the outside is escaped in HTML and kept on one line in the subject", () => {
    const hostile: CompletionEmailAction = {
      ...action,
      referenceId: 'BA-"<x>&',
      typeLabel: "Upload <script>alert(1)</script>",
      statusLabel: "Done\r\nBcc: victim@example.com",
      requester: { name: "<img src=x onerror=alert(1)>", email: "o'hara@example.com" },
    };
    const { subject, html } = completionEmail(hostile, "https://t.example.com");
    expect(subject).not.toMatch(/[\r\n]/);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("o&#39;hara@example.com");
    expect(html).toContain('href="https://t.example.com/?ref=BA-%22%3Cx%3E%26"');
  });

  test("the link URL-encodes the reference ID and tolerates a trailing slash", () => {
    expect(trackerLink("http://localhost:8787/", "BA 1/2")).toBe("http://localhost:8787/?ref=BA%201%2F2");
    expect(trackerLink("http://localhost:8787", "BA-1")).toBe("http://localhost:8787/?ref=BA-1");
  });

  test("never quotes report rows: the body is built from the action fields only", () => {
    const { text } = completionEmail(action, "http://x");
    expect(text).not.toMatch(/Row,Status|Identifier|Resolution/);
    expect(text.split("\n").length).toBeLessThan(20);
  });

  test("escapeHtml covers the five special characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
