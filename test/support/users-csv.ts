/**
 * The users CSV that tests and benchmarks upload: every 10th row has a bad email (Error), every 7th other
 * row no last name (Warning), three groups. Pure, so the benchmark processes can share it.
 */
export function usersCsv(n: number, prefix = "u"): { csv: string; errors: number; warnings: number } {
  const lines = new Array<string>(n + 1);
  lines[0] = "email,first_name,last_name,role,department,groups";
  let errors = 0;
  let warnings = 0;
  for (let i = 0; i < n; i++) {
    const broken = i % 10 === 9;
    const noLast = !broken && i % 7 === 6;
    if (broken) errors++;
    if (noLast) warnings++;
    lines[i + 1] =
      `${broken ? `broken-${i}` : `${prefix}${i}@example.com`},First${i},${noLast ? "" : `Last${i}`},learner,Dept${i % 5},G${i % 3}`;
  }
  return { csv: `${lines.join("\n")}\n`, errors, warnings };
}
