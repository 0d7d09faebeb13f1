/**
 * `npm run bench [-- --quick] [-- --only upload,poll,stream,cross,cold,mail]`: every measurement beside a
 * baseline measured in the same run on this machine; prints the table and writes bench/RESULTS.md.
 * Each section is bounded in time; child processes and temp folders are cleaned up on any exit.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { benchColdStart } from "./cold-start";
import { benchCrossProcess } from "./cross-process";
import { loadToolName } from "./lib/load";
import { cleanupAll, installCleanupHooks, within } from "./lib/procs";
import { machineLines, markdownTable, type Row, type SectionResult } from "./lib/report";
import { benchMail } from "./mail";
import { benchPoll } from "./poll";
import { benchStream } from "./stream";
import { benchUpload } from "./upload";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args.find((a) => a.startsWith("--only"));
const only = onlyArg
  ? new Set((onlyArg.includes("=") ? onlyArg.split("=")[1]! : args[args.indexOf(onlyArg) + 1]!).split(","))
  : null;

/** Budgets cap each section when something hangs; a normal run takes a fraction of them (quick: under a minute). */
const sections: { key: string; title: string; budgetMs: number; run: () => Promise<SectionResult> }[] = [
  { key: "upload", title: "User upload", budgetMs: quick ? 60_000 : 300_000, run: () => benchUpload(quick) },
  { key: "poll", title: "Poll one action", budgetMs: quick ? 50_000 : 120_000, run: () => benchPoll(quick) },
  {
    key: "stream",
    title: "Live stream fan-out",
    budgetMs: quick ? 30_000 : 120_000,
    run: () => benchStream(quick),
  },
  {
    key: "cross",
    title: "Cross-process event",
    budgetMs: quick ? 15_000 : 60_000,
    run: () => benchCrossProcess(quick),
  },
  { key: "cold", title: "Cold start", budgetMs: quick ? 15_000 : 30_000, run: () => benchColdStart() },
  {
    key: "mail",
    title: "Mail at the provider's pace",
    budgetMs: quick ? 90_000 : 240_000,
    run: () => benchMail(quick),
  },
];

installCleanupHooks();
const started = Date.now();
const allRows: Row[] = [];
const notes: string[] = [];
const loadTool = loadToolName();
/** 1-minute load averages around each section: other work on the machine skews every figure. */
const loads: string[] = [];
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?";
console.log(`bench (${quick ? "quick" : "full"} mode), load from ${loadTool}`);

for (const section of sections) {
  if (only && !only.has(section.key)) continue;
  const t0 = Date.now();
  const loadBefore = loadAverage();
  console.log(`\n== ${section.title} … (load average ${loadBefore})`);
  try {
    const work = section.run();
    work.catch(() => {}); // past its budget the section is abandoned: its late failure is not news
    const result = await within(section.title, section.budgetMs, work);
    allRows.push(...result.rows);
    notes.push(...result.notes);
    console.log(markdownTable(result.rows));
  } catch (error) {
    const message = (error as Error).message;
    console.error(`${section.title} failed: ${message}`);
    allRows.push({
      what: `${section.title}`,
      product: "not measured",
      baseline: "—",
      ratio: "—",
      target: "—",
      met: false,
    });
    notes.push(`${section.title} failed: ${message.split("\n")[0]}`);
  } finally {
    cleanupAll();
  }
  loads.push(`${section.title} ${loadBefore} → ${loadAverage()}`);
  console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const table = markdownTable(allRows);
const missed = allRows.filter((r) => r.met === false).length;
const summary = `${allRows.filter((r) => r.met === true).length} met, ${missed} missed`;
console.log(`\n${table}\n\n${summary} — ${((Date.now() - started) / 1000).toFixed(0)} s in all`);

const section = [
  `## ${quick ? "Quick" : "Full"} run`,
  "",
  `Written by \`npm run bench${quick ? " -- --quick" : ""}\`; every baseline was measured in the same run, on the same machine.`,
  "",
  ...machineLines(loadTool),
  `- Mode: ${quick ? "quick" : "full"}, ${((Date.now() - started) / 1000).toFixed(0)} s in all; ${summary}`,
  `- 1-minute load average before → after each section (${cpus().length} cores; the bench's own processes add up to about 3, so a high figure at a section's start means other work shared the machine): ${loads.join("; ")}`,
  "",
  table,
  "",
  "### How each figure was taken",
  "",
  ...notes.map((n) => `- ${n}`),
].join("\n");
if (only) {
  console.log("(an --only run: bench/RESULTS.md left as it was)");
} else {
  writeResults(quick ? "quick" : "full", section);
  console.log("written to bench/RESULTS.md");
}
process.exit(0);

/** Replaces this mode's part of bench/RESULTS.md and keeps the other mode's latest results. */
function writeResults(mode: "quick" | "full", text: string) {
  const path = resolve(import.meta.dir, "RESULTS.md");
  const parts: Record<string, string> = { full: "", quick: "" };
  if (existsSync(path)) {
    const old = readFileSync(path, "utf8");
    for (const key of ["full", "quick"]) {
      const match = new RegExp(`<!-- ${key} -->\\n([\\s\\S]*?)\\n<!-- /${key} -->`).exec(old);
      if (match) parts[key] = match[1]!;
    }
  }
  parts[mode] = text;
  const body = ["full", "quick"]
    .filter((key) => parts[key])
    .map((key) => `<!-- ${key} -->\n${parts[key]}\n<!-- /${key} -->`);
  writeFileSync(
    path,
    `# Benchmark results\n\n\`npm run bench\` (full) and \`npm run bench -- --quick\` each replace their own part of this file.\n\n${body.join("\n\n")}\n`,
  );
  // The project's formatter checks Markdown too: leave the file as it would write it.
  Bun.spawnSync([resolve(import.meta.dir, "../node_modules/.bin/biome"), "format", "--write", path]);
}
