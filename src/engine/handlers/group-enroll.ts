/**
 * `group_enroll` {group, courses[], dueDate?}: enrolls every member of the group in each course.
 * A member already enrolled is a Warning and keeps the enrollment as it is (its progress and due date).
 */
import type { ParamsOf } from "../../actions/params";
import type { ActionHandler } from "../handler";
import { enrollStatements } from "../portal-data/enrollments";
import { applyMemberCourses, checkGroupAndCourses, stageMemberCourses } from "./group-items";

export const groupEnroll: ActionHandler = {
  checkSubmission: checkGroupAndCourses,
  prepare: stageMemberCourses,
  apply(ctx, items) {
    const { dueDate } = ctx.params as ParamsOf<"group_enroll">;
    return applyMemberCourses(ctx, items, {
      judge: (enrollment) =>
        enrollment
          ? {
              status: "Warning",
              issue: `Already enrolled in this course (status: ${enrollment.status}).`,
              resolution: "Nothing to do: the existing enrollment, with its progress and due date, was kept.",
            }
          : null,
      write: (pairs) => enrollStatements(ctx.db, pairs, dueDate ? Date.parse(dueDate) : null, ctx.now),
    });
  },
};
