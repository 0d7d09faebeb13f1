/**
 * The users files that tests and benchmarks upload: every 10th row has a bad email (Error), every 7th
 * other row no last name (Warning), three groups. Pure, so the benchmark processes can share them.
 */

/** The i-th person of a generated file, with the problem (if any) planted in that row. */
function person(i: number, prefix: string) {
  const broken = i % 10 === 9;
  const noLast = !broken && i % 7 === 6;
  return {
    broken,
    noLast,
    email: broken ? `broken-${i}` : `${prefix}${i}@example.com`,
    first: `First${i}`,
    last: noLast ? "" : `Last${i}`,
  };
}

type Person = ReturnType<typeof person>;

function generate(
  n: number,
  prefix: string,
  header: string,
  eol: string,
  row: (i: number, p: Person) => string[],
) {
  const lines = new Array<string>(n + 1);
  lines[0] = header;
  let errors = 0;
  let warnings = 0;
  for (let i = 0; i < n; i++) {
    const p = person(i, prefix);
    if (p.broken) errors++;
    if (p.noLast) warnings++;
    lines[i + 1] = row(i, p).join(",");
  }
  return { csv: `${lines.join(eol)}${eol}`, errors, warnings };
}

/** The tracker's own columns, LF line ends (about 60 bytes a row). */
export function usersCsv(n: number, prefix = "u"): { csv: string; errors: number; warnings: number } {
  return generate(n, prefix, "email,first_name,last_name,role,department,groups", "\n", (i, p) => {
    return [p.email, p.first, p.last, "learner", `Dept${i % 5}`, `G${i % 3}`];
  });
}

const HR_HEADER = [
  "Employee ID",
  "Email",
  "First Name",
  "Last Name",
  "Preferred Name",
  "Role",
  "Department",
  "Division",
  "Business Unit",
  "Job Title",
  "Manager Email",
  "Street Address",
  "Postal Code",
  "City",
  "Country",
  "Work Phone",
  "Hire Date",
  "Cost Center",
  "Employment Type",
  "Groups",
].join(",");

/**
 * The same people as an HR system exports them: one row per employee with many columns the importer
 * ignores (about 360 bytes a row, so 300,000 rows are over 100 MiB), quoted where a value holds a comma,
 * CRLF line ends. Synthetic (no HR system's export is copied), shaped like the wide exports admins
 * upload as they come.
 */
export function hrExportCsv(n: number, prefix = "e"): { csv: string; errors: number; warnings: number } {
  return generate(n, prefix, HR_HEADER, "\r\n", (i, p) => {
    const id = String(100000 + i);
    return [
      `E${id}`,
      p.email,
      p.first,
      p.last,
      `F${i}`,
      "learner",
      `Dept${i % 5}`,
      `"Operations, Europe, Middle East and Africa"`,
      `Shared Services ${i % 12}`,
      `"Senior Operations Analyst, Level ${(i % 4) + 1}"`,
      `manager${i % 97}@example.com`,
      `"Keizersgracht ${i % 700}, Floor ${i % 9}, Wing ${"ABCD"[i % 4]}"`,
      `${1000 + (i % 8999)} AB`,
      "Amsterdam",
      "Netherlands",
      `+31 20 555 ${id.slice(-4)}`,
      `20${10 + (i % 15)}-0${(i % 9) + 1}-1${i % 9}`,
      `CC-${4000 + (i % 500)}-OPERATIONS-EMEA-NORTH`,
      i % 5 === 0 ? `"Part-time (fixed term, 24 hours a week)"` : `"Full-time (permanent, 40 hours a week)"`,
      `G${i % 3}`,
    ];
  });
}
