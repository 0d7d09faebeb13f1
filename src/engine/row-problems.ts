/** Turns a row's problems into its one report line: an Error if any problem is one, else a Warning. */
import type { ReportLine } from "./handler";

export interface RowProblem {
  status: "Error" | "Warning";
  issue: string;
  resolution: string;
}

export function combineProblems(row: number, identifier: string, problems: RowProblem[]): ReportLine | null {
  if (problems.length === 0) return null;
  const errors = problems.filter((p) => p.status === "Error");
  // A skipped row reports only why it was skipped: its warnings would not help.
  const shown = errors.length > 0 ? errors : problems;
  return {
    row,
    status: errors.length > 0 ? "Error" : "Warning",
    identifier,
    issue: shown.map((p) => p.issue).join(" "),
    resolution: shown.map((p) => p.resolution).join(" "),
  };
}
