/**
 * Writes a slice's report lines in one statement: the lines travel as one JSON parameter (D1 allows 100).
 * An Error row's raw record goes with it, so it is kept, and expired, exactly like its report line.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { reportRows } from "../db/schema";
import type { ReportLine } from "./handler";

export function reportInsert(db: Db, actionId: number, lines: ReportLine[]) {
  const json = JSON.stringify(
    lines.map((l) => [l.row, l.status, l.identifier, l.issue, l.resolution, l.raw ?? null]),
  );
  return db.run(sql`
    INSERT INTO ${reportRows} (action_id, row, status, identifier, issue, resolution, raw)
    SELECT ${actionId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
    FROM json_each(${json}) WHERE true
    ON CONFLICT DO NOTHING`);
}
