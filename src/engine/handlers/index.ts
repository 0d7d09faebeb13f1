/** The handler of each action type. */
import type { ActionType } from "../../actions/model";
import type { ActionHandler } from "../handler";
import { contentReplace } from "./content-replace";
import { contentUpload } from "./content-upload";
import { dynamicRuleChange, dynamicRuleStart } from "./dynamic-rules";
import { groupEnroll } from "./group-enroll";
import { groupMarkComplete } from "./group-mark-complete";
import { groupUnenroll } from "./group-unenroll";
import { historyMigration } from "./history-migration";
import { reminderSend } from "./reminder-send";
import { userUpload } from "./user-upload";

export const handlers: Partial<Record<ActionType, ActionHandler>> = {
  user_upload: userUpload,
  history_migration: historyMigration,
  group_enroll: groupEnroll,
  group_unenroll: groupUnenroll,
  group_mark_complete: groupMarkComplete,
  dynamic_rule_start: dynamicRuleStart,
  dynamic_rule_change: dynamicRuleChange,
  reminder_send: reminderSend,
  content_upload: contentUpload,
  content_replace: contentReplace,
};
