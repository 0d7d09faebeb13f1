/** For outbox tests: a migrated database file in a temp folder, a local Resend recorder and a ManualClock. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type Database, type Db } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import { ManualClock } from "../../src/lib/clock";
import { type ResendRecorder, startResendRecorder } from "./resend-recorder";

export interface MailSetup {
  url: string;
  database: Database;
  db: Db;
  recorder: ResendRecorder;
  clock: ManualClock;
  close(): Promise<void>;
}

export async function mailSetup(prefix = "mail-test-"): Promise<MailSetup> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const url = `file:${join(dir, "tracker.db")}`;
  const database = createDatabase({ url });
  await migrateDatabase(database, url);
  const recorder = startResendRecorder();
  return {
    url,
    database,
    db: database.db,
    recorder,
    clock: new ManualClock(),
    async close() {
      database.close();
      await recorder.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
