/**
 * `group_unenroll` {group, courses[]}: removes every member of the group from each course.
 * A member who is not enrolled is a Warning. A recorded result (completed, passed, failed) is kept as
 * training history before the enrollment goes, so unenrolling never erases a completion.
 */
import type { ActionHandler } from "../handler";
import { unenrollStatements } from "../portal-data/enrollments";
import { applyMemberCourses, checkGroupAndCourses, stageMemberCourses } from "./group-items";

export const groupUnenroll: ActionHandler = {
  checkSubmission: checkGroupAndCourses,
  prepare: stageMemberCourses,
  apply(ctx, items) {
    return applyMemberCourses(ctx, items, {
      judge: (enrollment) =>
        enrollment
          ? null
          : {
              status: "Warning",
              issue: "Not enrolled in this course, so there was nothing to remove.",
              resolution: "Nothing to do.",
            },
      write: (pairs) => unenrollStatements(ctx.db, pairs, ctx.action.id),
    });
  },
};
