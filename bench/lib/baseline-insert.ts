/**
 * Baseline of the upload benchmark, run as its own process: the same CSV rows inserted by plain batched
 * multi-row INSERTs through @libsql/client into a users table of a fresh file database, with the
 * driver's defaults (no pragmas). Prints `{ rows, ms, peakRss }` as JSON.
 * Usage: bun bench/lib/baseline-insert.ts <csv> <database file> [rows per INSERT]
 */
import { readFileSync } from "node:fs";
import { createClient, type InValue } from "@libsql/client";
import { procMemory } from "./procs";
import { exitWithParent } from "./watchdog";

exitWithParent();

const [csvPath, dbPath, batchArg] = process.argv.slice(2);
if (!csvPath || !dbPath) throw new Error("usage: baseline-insert.ts <csv> <db> [batch]");
const batch = Number(batchArg ?? 500);

const client = createClient({ url: `file:${dbPath}` });
await client.execute(`CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT, portal_id TEXT NOT NULL, email TEXT NOT NULL,
  first_name TEXT NOT NULL DEFAULT '', last_name TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'learner',
  department TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
await client.execute("CREATE UNIQUE INDEX users_portal_email ON users (portal_id, email)");

const started = performance.now();
const lines = readFileSync(csvPath, "utf8").split("\n");
let rows = 0;
const placeholders = (n: number) => Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
const fullBatchSql = `INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at) VALUES ${placeholders(batch)}`;
let args: InValue[] = [];
let inBatch = 0;
const flush = async () => {
  if (inBatch === 0) return;
  const sql =
    inBatch === batch
      ? fullBatchSql
      : `INSERT INTO users (portal_id, email, first_name, last_name, role, department, created_at, updated_at) VALUES ${placeholders(inBatch)}`;
  await client.execute({ sql, args });
  rows += inBatch;
  args = [];
  inBatch = 0;
};
for (let i = 1; i < lines.length; i++) {
  const line = lines[i];
  if (!line) continue;
  const [email = "", first = "", last = "", role = "learner", department = ""] = line.split(",");
  const now = Date.now();
  args.push("bench", email, first, last, role, department, now, now);
  inBatch++;
  if (inBatch === batch) await flush();
}
await flush();
const ms = performance.now() - started;
client.close();
console.log(JSON.stringify({ rows, ms, peakRss: procMemory(process.pid, "VmHWM") }));
