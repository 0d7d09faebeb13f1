/** The action vocabulary of the contract: statuses, types and their labels. */

export const STATUSES = [
  "not_started",
  "scheduled",
  "in_progress",
  "completed",
  "completed_with_errors",
  "cancelled",
  "failed",
  "timeout",
] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_LABELS: Record<Status, string> = {
  not_started: "Not started",
  scheduled: "Scheduled",
  in_progress: "In progress",
  completed: "Completed",
  completed_with_errors: "Completed with errors",
  cancelled: "Cancelled",
  failed: "Failed",
  timeout: "Timeout",
};

export const FINAL_STATUSES: readonly Status[] = [
  "completed",
  "completed_with_errors",
  "cancelled",
  "failed",
  "timeout",
];

export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export const ACTION_TYPES = [
  "user_upload",
  "content_upload",
  "content_replace",
  "history_migration",
  "group_enroll",
  "group_unenroll",
  "group_mark_complete",
  "dynamic_rule_start",
  "dynamic_rule_change",
  "reminder_send",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export const TYPE_LABELS: Record<ActionType, string> = {
  user_upload: "User upload",
  content_upload: "Content upload",
  content_replace: "Content replacement",
  history_migration: "Training history migration",
  group_enroll: "Group enrollment",
  group_unenroll: "Group unenrollment",
  group_mark_complete: "Group mark complete",
  dynamic_rule_start: "Dynamic rule start",
  dynamic_rule_change: "Dynamic rule change",
  reminder_send: "Reminder",
};

export function typeLabel(type: string): string {
  return TYPE_LABELS[type as ActionType] ?? type;
}

export function statusLabel(status: string): string {
  return STATUS_LABELS[status as Status] ?? status;
}

export const ROLES = ["admin", "manager", "instructor", "learner"] as const;
export type Role = (typeof ROLES)[number];
