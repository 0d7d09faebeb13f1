/** Talking to a tracker process over HTTP: tokens, uploads, waiting for a final status. */
import { FINAL_STATUSES } from "../../src/actions/model";
import { signToken } from "../../src/http/auth";
import { BENCH_SECRET } from "./procs";

export { usersCsv } from "../../test/support/users-csv";

export const FINAL = new Set<string>(FINAL_STATUSES);

export interface ActionView {
  referenceId: string;
  status: string;
  version: number;
  progress: { total: number; processed: number; succeeded: number; errors: number; warnings: number };
  failureReason: string | null;
}

export function tokenFor(sub: string, portal = "bench"): string {
  return signToken(
    { sub, portal, role: "admin", email: `${sub}@example.com`, name: `Bench ${sub}` },
    BENCH_SECRET,
  );
}

/** Starts a user upload of `csv` named `fileName` (with any other form fields); returns the accepted action. */
export async function upload(
  base: string,
  token: string,
  csv: string | Blob,
  fileName: string,
  notify = false,
  fields: Record<string, string> = {},
): Promise<ActionView> {
  const form = new FormData();
  form.set("type", "user_upload");
  form.set("notify", String(notify));
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set("file", new File([csv], fileName, { type: "text/csv" }));
  const res = await fetch(`${base}/v1/actions`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.text();
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as ActionView;
}

export async function getAction(base: string, token: string, ref: string): Promise<ActionView> {
  const res = await fetch(`${base}/v1/actions/${ref}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  if (!res.ok) throw new Error(`poll answered ${res.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as ActionView;
}

/** Polls the action every `everyMs` until it is final, or throws after `timeoutMs`. */
export async function waitFinal(
  base: string,
  token: string,
  ref: string,
  timeoutMs: number,
  everyMs = 50,
): Promise<ActionView> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const action = await getAction(base, token, ref);
    if (FINAL.has(action.status)) return action;
    if (performance.now() > deadline)
      throw new Error(`action ${ref} not final after ${Math.round(timeoutMs / 1000)} s (${action.status})`);
    await Bun.sleep(everyMs);
  }
}
