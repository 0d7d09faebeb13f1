/**
 * A person using the real server over HTTP with fetch: uploads files, starts JSON actions, waits for an
 * action to end (polling, as a client would) and reads its error report back through the API.
 */
import { expect } from "bun:test";
import type { ActionView } from "../../src/actions/view";
import { parseCsvStream } from "../../src/csv/decode";
import type { ReportItem } from "../../src/reports/download";
import { ADA, bearer, type Person } from "./env";
import { waitFor } from "./processes";

export type ReportRow = [row: number, status: string, identifier: string, issue: string];

export function apiClient(url: string, person: Person) {
  const headers = bearer(person);
  const started = async (res: Response): Promise<ActionView> => {
    const body = await res.json();
    if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(body)}`);
    return body as ActionView;
  };
  const client = {
    /** POSTs files as multipart, each `[name, bytes]`, with any other form fields; answers as the server did. */
    postFiles(type: string, files: [string, Uint8Array][], fields: Record<string, string> = {}) {
      const form = new FormData();
      form.set("type", type);
      for (const [name, value] of Object.entries(fields)) form.set(name, value);
      for (const [name, bytes] of files)
        form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], name));
      return fetch(`${url}/v1/actions`, { method: "POST", body: form, headers });
    },

    /** POSTs files as multipart, each `[name, bytes]`; answers the accepted action. */
    async upload(type: string, files: [string, Uint8Array][]): Promise<ActionView> {
      return started(await client.postFiles(type, files));
    },

    async start(type: string, params: unknown): Promise<ActionView> {
      const res = await fetch(`${url}/v1/actions`, {
        method: "POST",
        body: JSON.stringify({ type, params, notify: false }),
        headers: { ...headers, "content-type": "application/json" },
      });
      return started(res);
    },

    async view(ref: string): Promise<ActionView> {
      const res = await fetch(`${url}/v1/actions/${ref}`, { headers });
      expect(res.status).toBe(200);
      return (await res.json()) as ActionView;
    },

    /** The person's actions, newest first, as `GET /v1/actions?<query>` lists them. */
    async list(query: string): Promise<ActionView[]> {
      const res = await fetch(`${url}/v1/actions?${query}`, { headers });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: ActionView[] }).items;
    },

    /** Waits until the action has ended (any final status). */
    async final(ref: string): Promise<ActionView> {
      return waitFor(`${ref} to end`, async () => {
        const action = await client.view(ref);
        return action.completedAt ? action : null;
      });
    },

    /** Uploads, then waits for the end. */
    async uploadAndWait(type: string, files: [string, Uint8Array][]): Promise<ActionView> {
      return client.final((await client.upload(type, files)).referenceId);
    },

    async startAndWait(type: string, params: unknown): Promise<ActionView> {
      return client.final((await client.start(type, params)).referenceId);
    },

    /** Every step of the task that the ended `first` began, each ended: [first], or [step 1, step 2]. */
    async steps(first: ActionView): Promise<ActionView[]> {
      if (first.steps === 1) return [first];
      const step2 = (await client.list(`type=${first.type}&limit=200`)).find(
        (a) => a.taskId === first.taskId && a.step === 2,
      );
      if (!step2) throw new Error(`no step 2 for ${first.referenceId}`);
      return [first, await client.final(step2.referenceId)];
    },

    /** A content replacement, both steps ended: [step 1, step 2]. */
    async replaceAndWait(files: [string, Uint8Array][]): Promise<[ActionView, ActionView]> {
      const [step1, step2] = await client.steps(await client.uploadAndWait("content_replace", files));
      if (!step1 || !step2) throw new Error("a content replacement has two steps");
      return [step1, step2];
    },

    /** The error report as [Row, Status, Identifier, Issue] rows, read through the API. */
    async report(action: ActionView): Promise<ReportRow[]> {
      if (!action.errorReport) return [];
      const res = await fetch(`${url}${action.errorReport.url}`, { headers });
      expect(res.status).toBe(200);
      const rows: ReportRow[] = [];
      for await (const batch of parseCsvStream(res.body!)) {
        for (const { fields, row } of batch) {
          if (row > 1) rows.push([Number(fields[0]), fields[1]!, fields[2]!, fields[3]!]);
        }
      }
      return rows;
    },

    /** The error report's rows as JSON (`report-rows`, as the page reads them), up to 200. */
    async reportRows(action: ActionView): Promise<ReportItem[]> {
      if (!action.errorReport) return [];
      const res = await fetch(`${url}/v1/actions/${action.referenceId}/report-rows?limit=200`, { headers });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: ReportItem[] }).items;
    },
  };
  return client;
}

export type ApiClient = ReturnType<typeof apiClient>;

let portals = 0;

/** An admin in a portal of their own (`<tag>-<n>`), so each test meets an empty portal. */
export function newPortalAdmin(url: string, tag: string): { person: Person; api: ApiClient } {
  portals++;
  const person: Person = { ...ADA, sub: `${tag}-admin-${portals}`, portal: `${tag}-${portals}` };
  return { person, api: apiClient(url, person) };
}
