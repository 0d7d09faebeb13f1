/**
 * Reads and writes of the portal's courses for the content actions. Writes are set-based over a JSON
 * parameter (one statement per slice whatever its size, within D1's 100-parameter limit); the statements
 * are committed by the engine together with the slice's checkpoint, so none is ever applied twice.
 */
import { and, eq, sql } from "drizzle-orm";
import type { PackageKind } from "../../content/package";
import type { Db } from "../../db/client";
import { courses } from "../../db/schema";
import type { Statement } from "../handler";

/** What the content actions need to know about an existing course. */
export interface CourseRef {
  id: number;
  code: string;
  title: string;
  packageKind: string | null;
  contentVersion: number;
}

/** The content of a course: which package it plays and how it starts. */
export interface CourseContent {
  code: string;
  title: string;
  kind: PackageKind;
  launchPath: string;
  packageKey: string;
}

/** The course with this code in the portal, or null. */
export async function findCourse(db: Db, portalId: string, code: string): Promise<CourseRef | null> {
  const [row] = await db
    .select({
      id: courses.id,
      code: courses.code,
      title: courses.title,
      packageKind: courses.packageKind,
      contentVersion: courses.contentVersion,
    })
    .from(courses)
    .where(and(eq(courses.portalId, portalId), eq(courses.code, code)))
    .limit(1);
  return row ?? null;
}

const contentJson = (rows: readonly CourseContent[]) =>
  JSON.stringify(rows.map((r) => [r.code, r.title, r.kind, r.launchPath, r.packageKey]));

/**
 * Creates the courses at content version 1. A code that already exists is left alone (the handler
 * reports it as an Error before getting here; this only guards against a concurrent upload).
 */
export function createCoursesStatement(
  db: Db,
  portalId: string,
  now: number,
  rows: readonly CourseContent[],
): Statement {
  return db.run(sql`
    INSERT INTO ${courses} (portal_id, code, title, package_kind, package_key, launch_path, content_version,
                            created_at, updated_at)
    SELECT ${portalId}, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 4, j.value ->> 3, 1, ${now}, ${now}
    FROM json_each(${contentJson(rows)}) AS j WHERE true
    ON CONFLICT (portal_id, code) DO NOTHING`);
}

/**
 * Points existing courses at their new package and moves their content version on. Only the course row
 * changes: enrollments, completions and progress refer to the course id, which stays, so they are kept.
 */
export function replaceContentStatement(
  db: Db,
  portalId: string,
  now: number,
  rows: readonly CourseContent[],
): Statement {
  return db.run(sql`
    UPDATE ${courses} SET
      title = j.value ->> 1,
      package_kind = j.value ->> 2,
      launch_path = j.value ->> 3,
      package_key = j.value ->> 4,
      content_version = ${courses.contentVersion} + 1,
      updated_at = ${now}
    FROM json_each(${contentJson(rows)}) AS j
    WHERE ${courses.portalId} = ${portalId} AND ${courses.code} = j.value ->> 0`);
}
