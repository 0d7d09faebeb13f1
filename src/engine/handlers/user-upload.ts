/**
 * `user_upload`: a CSV of people. Each row creates the user or updates the one with that email in the
 * portal, and joins the groups it names (creating them). Row rules, from the contract: a missing or
 * invalid email, an email already used earlier in the file, or an unknown role is an Error (row skipped);
 * an empty first or last name is a Warning (row imported).
 */
import * as v from "valibot";
import { ROLES } from "../../actions/model";
import { FirstSeen } from "../../lib/first-seen";
import { stageCsv } from "../csv-intake";
import type { ActionHandler, ReportLine, StagedItem } from "../handler";
import { type UserRow, upsertUsersStatements } from "../portal-data/users";
import { combineProblems, type RowProblem } from "../row-problems";

const COLUMNS = ["email", "first_name", "last_name", "role", "department", "groups"] as const;

/**
 * A staged row: [row, email, first, last, role, department, groups, duplicateOfRow, raw?]. The record's
 * text as uploaded (`raw`) is kept only for a row whose own cells make it an Error; those are all of this
 * type's Errors, and most rows of a large upload are fine, so the others cost nothing extra.
 */
type Item = [number, string, string, string, string, string, string[], number, string?];

const Email = v.pipe(v.string(), v.email());
const Role = v.picklist(ROLES);
const ROLE_NAMES: ReadonlySet<string> = new Set(ROLES);

export const userUpload: ActionHandler = {
  async stageFiles(ctx, submission, stager) {
    // Not a Map: a million emails as heap strings cost 100+ MB; this holds them in ~40 MB of typed arrays.
    const firstRowOf = new FirstSeen();
    return stageCsv(
      submission.files[0]!,
      stager,
      {
        required: ["email"],
        known: COLUMNS,
        toItem(cells, row, raw): Item {
          const key = cells.email!.toLowerCase();
          const valid = key !== "" && v.is(Email, key);
          const duplicateOf = valid ? firstRowOf.firstSeen(key, row) : 0;
          const role = cells.role ?? "";
          const groups = (cells.groups ?? "")
            .split(";")
            .map((g) => g.trim())
            .filter(Boolean);
          const item: Item = [
            row,
            cells.email ?? "",
            cells.first_name ?? "",
            cells.last_name ?? "",
            role,
            cells.department ?? "",
            groups,
            duplicateOf,
          ];
          // The same Errors as checkRow finds when the row is applied.
          if (!valid || duplicateOf > 0 || (role !== "" && !ROLE_NAMES.has(role.toLowerCase())))
            item.push(raw);
          return item;
        },
      },
      { maxRows: ctx.maxRows, maxBytes: ctx.maxFileBytes },
    );
  },

  async apply(ctx, items) {
    const report: ReportLine[] = [];
    const valid: UserRow[] = [];
    let errors = 0;
    let warnings = 0;
    for (const { item } of items as StagedItem<Item>[]) {
      const [row, email, firstName, lastName, role, department, groups, duplicateOf, raw] = item;
      const problems = checkRow(email, role, firstName, lastName, duplicateOf);
      const line = combineProblems(row, email || "(blank)", problems);
      if (line) report.push(line);
      if (line?.status === "Error") {
        if (raw !== undefined) line.raw = raw;
        errors++;
        continue;
      }
      if (line) warnings++;
      valid.push({
        email: email.toLowerCase(),
        firstName,
        lastName,
        role: role.toLowerCase(),
        department,
        groups,
      });
    }
    const statements = valid.length ? upsertUsersStatements(ctx.db, ctx.action.portalId, ctx.now, valid) : [];
    return { statements, report, errors, warnings };
  },
};

function checkRow(
  email: string,
  role: string,
  firstName: string,
  lastName: string,
  duplicateOf: number,
): RowProblem[] {
  const problems: RowProblem[] = [];
  if (!email) {
    problems.push({
      status: "Error",
      issue: "The email address is missing.",
      resolution: "Add the person's email address in the email column, then upload this row again.",
    });
  } else if (!v.is(Email, email.toLowerCase())) {
    problems.push({
      status: "Error",
      issue: `"${email}" is not a valid email address.`,
      resolution:
        "Correct the email address (it should look like name@example.com), then upload this row again.",
    });
  } else if (duplicateOf) {
    problems.push({
      status: "Error",
      issue: `This email address is already used by row ${duplicateOf} of the same file.`,
      resolution: `Keep one row per person: merge this row into row ${duplicateOf} or correct its email address, then upload it again.`,
    });
  }
  if (role && !v.is(Role, role.toLowerCase())) {
    problems.push({
      status: "Error",
      issue: `The role "${role}" is not one of learner, instructor, manager or admin.`,
      resolution:
        "Change the role to learner, instructor, manager or admin (or leave it empty for learner), then upload this row again.",
    });
  }
  const missing = [!firstName && "first name", !lastName && "last name"].filter(Boolean) as string[];
  if (missing.length) {
    const what = missing.join(" and ");
    problems.push({
      status: "Warning",
      issue: `The ${what} ${missing.length > 1 ? "are" : "is"} empty; the user was imported without ${missing.length > 1 ? "them" : "it"}.`,
      resolution: `Fill in the ${what} and upload this row again to complete the profile.`,
    });
  }
  return problems;
}
