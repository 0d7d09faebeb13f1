/** Helpers shared by the content action tests: zip uploads, course and report reads, a crashing blob store. */
import { asc, eq } from "drizzle-orm";
import type { ActionView } from "../../src/actions/view";
import type { BlobStore } from "../../src/content/blob-store";
import { actions, courses, reportRows } from "../../src/db/schema";
import { bearer, type Person } from "./env";
import type { TestTracker } from "./tracker";

/** POSTs packages as multipart `file` parts, in order. */
export async function uploadZips(
  t: Pick<TestTracker, "request">,
  person: Person,
  type: "content_upload" | "content_replace",
  files: readonly (readonly [string, Uint8Array])[],
) {
  const form = new FormData();
  form.set("type", type);
  for (const [name, bytes] of files) {
    form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], name, { type: "application/zip" }));
  }
  const res = await t.request("/v1/actions", { method: "POST", body: form, headers: bearer(person) });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as ActionView;
}

export async function actionRow(t: Pick<TestTracker, "db">, referenceId: string) {
  const [row] = await t.db.select().from(actions).where(eq(actions.referenceId, referenceId));
  if (!row) throw new Error(`no action ${referenceId}`);
  return row;
}

export async function reportOf(t: Pick<TestTracker, "db">, referenceId: string) {
  const { id } = await actionRow(t, referenceId);
  return t.db
    .select({
      row: reportRows.row,
      status: reportRows.status,
      identifier: reportRows.identifier,
      issue: reportRows.issue,
      resolution: reportRows.resolution,
    })
    .from(reportRows)
    .where(eq(reportRows.actionId, id))
    .orderBy(asc(reportRows.row));
}

export async function coursesOf(t: Pick<TestTracker, "db">, portalId = "p1") {
  return t.db.select().from(courses).where(eq(courses.portalId, portalId)).orderBy(asc(courses.id));
}

/** A blob store whose `op` throws on its `nth` call: a worker killed at that point of a slice. */
export function crashingBlobs(inner: BlobStore, op: "get" | "put", nth: number): BlobStore {
  let calls = 0;
  const crashOn = (name: string) => {
    if (name === op && ++calls === nth) throw new Error(`worker killed during blob ${op} #${nth}`);
  };
  return {
    async get(key) {
      crashOn("get");
      return inner.get(key);
    },
    async put(key, data) {
      crashOn("put");
      return inner.put(key, data);
    },
    delete: (key) => inner.delete(key),
  };
}
