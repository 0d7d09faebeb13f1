/**
 * `group_mark_complete` {group, course, completedAt?, score?}: marks the course complete for every
 * member of the group. Not enrolled is an Error (nothing to complete: enroll first); already complete
 * (completed or passed) is a Warning and keeps the recorded completion. Every member gets the same
 * completion time: `completedAt`, or the moment the action started.
 */
import type { ParamsOf } from "../../actions/params";
import type { ActionHandler } from "../handler";
import { COMPLETE_STATUSES, type Completion, completeStatements } from "../portal-data/enrollments";
import { applyMemberCourses, checkGroupAndCourses, day, stageMemberCourses } from "./group-items";

export const groupMarkComplete: ActionHandler = {
  checkSubmission: checkGroupAndCourses,
  prepare: stageMemberCourses,
  apply(ctx, items) {
    const params = ctx.params as ParamsOf<"group_mark_complete">;
    const at = params.completedAt ? Date.parse(params.completedAt) : (ctx.action.startedAt ?? ctx.now);
    const score = params.score === undefined ? null : Math.round(params.score);
    return applyMemberCourses(ctx, items, {
      judge(enrollment) {
        if (!enrollment) {
          return {
            status: "Error",
            issue: "Not enrolled in this course, so it cannot be marked complete.",
            resolution:
              "Enroll the learner in the course (for example with a group enrollment), then mark it complete again.",
          };
        }
        if ((COMPLETE_STATUSES as readonly string[]).includes(enrollment.status)) {
          return {
            status: "Warning",
            issue: `Already complete (${enrollment.status} on ${day(enrollment.completedAt)}).`,
            resolution: "Nothing to do: the recorded completion was kept.",
          };
        }
        return null;
      },
      write: (pairs) =>
        completeStatements(
          ctx.db,
          pairs.map(([userId, courseId]): Completion => [userId, courseId, "completed", at, score]),
        ),
    });
  },
};
