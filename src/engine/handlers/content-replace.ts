/**
 * `content_replace`: one task of two actions sharing `taskId`, both shown in the tracker.
 *
 * Step 1 (upload and check) stages the packages like `content_upload` and checks each one: a safe,
 * readable package whose code names an existing course of the portal passes; anything else is that
 * package's Error row. Nothing in the portal changes. What passed is kept in the action's state.
 *
 * Step 2 (replace) is claimed only once step 1 has ended. It stages exactly the packages step 1 passed
 * and points each course at its new package (new blob, launch path, title, content version + 1). Only
 * the course row changes, so enrollments, completions and progress are kept.
 *
 * A dry run is a task of two dry steps: step 1 checks as always (it changes nothing anyway), step 2 judges
 * each passed package as a replacement would (the course still there, its upload still readable) and
 * replaces nothing, so its report says what a real replacement would do; both remove the uploads after.
 *
 * Cancelling step 1 cancels step 2 with it (src/engine/cancel.ts). When step 1 did not complete
 * (failed, timed out) or passed nothing, step 2 ends `failed` with a reason naming step 1: "completed,
 * 0 of 0" would read as success in a list or an email, while nothing was replaced; the reason sends the
 * person to step 1's report.
 */
import { and, eq } from "drizzle-orm";
import { statusLabel } from "../../actions/model";
import type { ActionRow } from "../../actions/repository";
import type { BlobStore } from "../../content/blob-store";
import type { PackageKind } from "../../content/package";
import { toolDefaultWarning } from "../../content/tool-defaults";
import { actions } from "../../db/schema";
import {
  type ActionHandler,
  type EngineContext,
  type ReportLine,
  type StagedItem,
  WholeActionError,
} from "../handler";
import { type CourseContent, findCourse, replaceContentStatement } from "../portal-data/courses";
import { combineProblems, type RowProblem } from "../row-problems";
import {
  checkPackage,
  deleteUploads,
  lostUpload,
  type PackageItem,
  packageError,
  packageKey,
  stagePackages,
} from "./content-upload";

/** A package that passed step 1: what step 2 needs to replace the course's content. */
export interface PassedPackage extends PackageItem {
  key: string;
  code: string;
  kind: PackageKind;
  title: string;
  launchPath: string;
}

const KIND_NAMES: Record<string, string> = { scorm12: "SCORM 1.2", scorm2004: "SCORM 2004", xapi: "xAPI" };

/**
 * The list of step 1's staged items, kept beside the uploads. The engine runs `prepare` (which step 2
 * needs) for step 1 too and clears staged input first, so step 1 re-stages from this list.
 */
const indexKey = (actionId: number) => `uploads/${actionId}/index.json`;

async function findStep1(ctx: Pick<EngineContext, "db" | "action">): Promise<ActionRow | null> {
  const { taskId, portalId } = ctx.action;
  if (!taskId) return null;
  const [step1] = await ctx.db
    .select()
    .from(actions)
    .where(and(eq(actions.taskId, taskId), eq(actions.step, 1), eq(actions.portalId, portalId)))
    .limit(1);
  return step1 ?? null;
}

/** Step 1's uploads are no longer needed once step 2 is done with them (or cannot use them). */
async function cleanUpStep1(blobs: BlobStore, step1: ActionRow): Promise<void> {
  await deleteUploads(blobs, step1.id, step1.total);
  await blobs.delete(indexKey(step1.id));
}

async function prepareStep1(ctx: EngineContext, stage: (item: unknown) => Promise<void>): Promise<void> {
  const index = await ctx.blobs.get(indexKey(ctx.action.id));
  if (!index) {
    throw new WholeActionError(
      "The uploaded packages are no longer available on the server, so they could not be checked. Upload them again.",
    );
  }
  for (const item of JSON.parse(new TextDecoder().decode(index)) as PackageItem[]) await stage(item);
}

async function prepareStep2(ctx: EngineContext, stage: (item: unknown) => Promise<void>): Promise<void> {
  const step1 = await findStep1(ctx);
  if (!step1) throw new WholeActionError("Step 1 of this task could not be found, so nothing was replaced.");
  const ref = step1.referenceId;
  if (step1.status !== "completed" && step1.status !== "completed_with_errors") {
    await cleanUpStep1(ctx.blobs, step1);
    throw new WholeActionError(
      `Step 1 (${ref}, upload and check) ended ${statusLabel(step1.status).toLowerCase()}, so no course was replaced. Start the replacement again.`,
    );
  }
  const passed = ((JSON.parse(step1.state) as { passed?: PassedPackage[] }).passed ?? []).sort(
    (a, b) => a.position - b.position,
  );
  if (passed.length === 0) {
    await cleanUpStep1(ctx.blobs, step1);
    throw new WholeActionError(
      `No package passed the checks of step 1 (${ref}), so no course was replaced. Step 1's error report says what to fix in each package.`,
    );
  }
  for (const item of passed) await stage(item);
}

/** Step 1: inspect each package and check that it replaces an existing course, changing nothing yet. */
async function checkStep1(ctx: EngineContext, items: StagedItem<PackageItem>[]) {
  const report: ReportLine[] = [];
  let errors = 0;
  let warnings = 0;
  const passed = [...((ctx.state.passed as PassedPackage[] | undefined) ?? [])];
  for (const { item } of items) {
    const checked = await checkPackage(ctx.blobs, item);
    if (!checked.ok) {
      report.push(checked.line);
      errors++;
      continue;
    }
    const { code, kind, title, launchPath, toolDefault } = checked.info;
    const earlier = passed.find((p) => p.code === code);
    const course = earlier ? null : await findCourse(ctx.db, ctx.action.portalId, code);
    if (earlier || !course) {
      report.push(
        earlier
          ? packageError(
              item,
              `Package ${earlier.position} of this upload already replaces the course “${code}”.`,
              "Upload one package per course. Remove the extra file and replace the course again if this one is the version you want.",
            )
          : packageError(
              item,
              `No course with the code “${code}” exists in this portal, so there is nothing to replace.`,
              toolDefault
                ? `This package's identifier “${toolDefault.identifier}” is the one ${toolDefault.tool} gives every course, so its code was made from its ${toolDefault.from}. Give it the same ${toolDefault.from} as the course it replaces (that course's code ends with it), or use a content upload to add it as a new course.`
                : "Check that this is a new version of an existing course (its identifier must match the course code). To add it as a new course, use a content upload instead.",
            ),
      );
      errors++;
      continue;
    }
    const notes: RowProblem[] = [];
    if (toolDefault) notes.push({ status: "Warning", ...toolDefaultWarning(code, toolDefault) });
    if (course.packageKind && course.packageKind !== kind) {
      notes.push({
        status: "Warning",
        issue: `The course “${code}” is now a ${KIND_NAMES[course.packageKind] ?? course.packageKind} course and this package is ${KIND_NAMES[kind]}.`,
        resolution:
          "Check that this is the right package. Enrollments and completions are kept, but progress saved inside the old package may not carry over to the new format.",
      });
    }
    const line = combineProblems(item.position, item.fileName, notes);
    if (line) {
      warnings++;
      report.push(line);
    }
    passed.push({ ...item, key: item.key!, code, kind, title, launchPath });
  }
  return { statements: [], report, errors, warnings, state: { ...ctx.state, passed } };
}

/** Step 2: copy each passed package to its permanent key and point the course at it. */
async function replaceStep2(ctx: EngineContext, items: StagedItem<PassedPackage>[]) {
  const { db, action } = ctx;
  const report: ReportLine[] = [];
  const replaced: CourseContent[] = [];
  for (const { item } of items) {
    const course = await findCourse(db, action.portalId, item.code);
    if (!course) {
      report.push(
        packageError(
          item,
          `The course “${item.code}” no longer exists in this portal, so its content was not replaced.`,
          "Create the course again with a content upload of this package.",
        ),
      );
      continue;
    }
    const bytes = await ctx.blobs.get(item.key);
    if (!bytes) {
      report.push(lostUpload(item));
      continue;
    }
    const key = await packageKey(action.portalId, item.code, course.contentVersion + 1, action.referenceId);
    await ctx.blobs.put(key, bytes);
    replaced.push({
      code: item.code,
      title: item.title,
      kind: item.kind,
      launchPath: item.launchPath,
      packageKey: key,
    });
  }
  return {
    statements: replaced.length ? [replaceContentStatement(db, action.portalId, ctx.now, replaced)] : [],
    report,
    errors: report.length,
    warnings: 0,
  };
}

export const contentReplace: ActionHandler = {
  async stageFiles(ctx, submission, stager) {
    const items = await stagePackages(ctx, submission.files, stager);
    await ctx.blobs.put(indexKey(ctx.actionId), new TextEncoder().encode(JSON.stringify(items)));
  },

  async prepare(ctx, stager) {
    const stage = (item: unknown) => stager.add(item);
    if (ctx.action.step === 1) await prepareStep1(ctx, stage);
    else await prepareStep2(ctx, stage);
  },

  async apply(ctx, items) {
    return ctx.action.step === 1
      ? checkStep1(ctx, items as StagedItem<PackageItem>[])
      : replaceStep2(ctx, items as StagedItem<PassedPackage>[]);
  },

  /** Step 1 keeps its uploads for step 2; step 2 removes them all, passed or not. */
  async afterEnd(ctx) {
    if (ctx.action.step !== 1) {
      const step1 = await findStep1(ctx);
      if (step1) await cleanUpStep1(ctx.blobs, step1);
    }
  },
};
