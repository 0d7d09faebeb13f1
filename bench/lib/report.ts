/** Result rows, the printed table, and the machine and versions they were measured on. */
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { ROOT } from "./procs";

export interface Row {
  /** What was measured, e.g. "User upload 100k: rows/s". */
  what: string;
  product: string;
  baseline: string;
  /** product / baseline, as text ("—" where there is no baseline). */
  ratio: string;
  target: string;
  /** true met, false missed, null not judged (informative row) or not measured. */
  met: boolean | null;
}

export interface SectionResult {
  name: string;
  rows: Row[];
  notes: string[];
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString("en-US"),
  ms: (n: number) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} ms`,
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`,
  kb: (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`,
  pct: (ratio: number) => `${(ratio * 100).toFixed(1)}%`,
  x: (ratio: number) => `${ratio.toFixed(2)}×`,
};

export function verdict(met: boolean | null): string {
  return met === null ? "—" : met ? "met" : "**MISSED**";
}

/** A Markdown table with padded columns (readable in a terminal, and as Biome formats it). */
export function markdownTable(rows: Row[]): string {
  const cells = [
    ["measurement", "product", "baseline (same run)", "ratio", "target", "result"],
    ...rows.map((r) => [r.what, r.product, r.baseline, r.ratio, r.target, verdict(r.met)]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(3, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  const [head, ...body] = cells;
  return [line(head!), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

function version(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(resolve(ROOT, "node_modules", pkg, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  } catch {
    return "?";
  }
}

export function machineLines(loadTool: string): string[] {
  let model = cpus()[0]?.model ?? "?";
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model;
  } catch {
    // not Linux
  }
  const ulimit = Bun.spawnSync(["sh", "-c", "ulimit -n"]).stdout.toString().trim();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus().length} cores, ${model}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, ${process.platform} ${process.arch}, open files limit ${ulimit}`,
    `- Versions: bun ${Bun.version}, hono ${version("hono")}, drizzle-orm ${version("drizzle-orm")}, @libsql/client ${version("@libsql/client")}, autocannon ${version("autocannon")}`,
    `- HTTP load generator: ${loadTool}`,
  ];
}
