-- Every visible change of an action writes one event row in the same transaction, whatever code made it.
-- The event's snapshot is the action as it is after the change (keys as in the Drizzle schema).
CREATE TRIGGER action_events_on_insert AFTER INSERT ON actions
BEGIN
  INSERT INTO action_events (action_id, portal_id, requester_id, kind, version, snapshot, created_at)
  VALUES (NEW.id, NEW.portal_id, NEW.requester_id, 'action.status', NEW.version,
    json_object('id', NEW.id, 'referenceId', NEW.reference_id, 'taskId', NEW.task_id, 'step', NEW.step, 'steps', NEW.steps, 'portalId', NEW.portal_id, 'requesterId', NEW.requester_id, 'requesterName', NEW.requester_name, 'requesterEmail', NEW.requester_email, 'requesterRole', NEW.requester_role, 'type', NEW.type, 'status', NEW.status, 'fileName', NEW.file_name, 'total', NEW.total, 'processed', NEW.processed, 'succeeded', NEW.succeeded, 'errors', NEW.errors, 'warnings', NEW.warnings, 'failureReason', NEW.failure_reason, 'createdAt', NEW.created_at, 'scheduledFor', NEW.scheduled_for, 'startedAt', NEW.started_at, 'completedAt', NEW.completed_at, 'reportRows', NEW.report_rows, 'reportExpiresAt', NEW.report_expires_at, 'reportExpired', NEW.report_expired, 'version', NEW.version),
    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
--> statement-breakpoint
CREATE TRIGGER action_events_on_update AFTER UPDATE OF version ON actions
WHEN NEW.version > OLD.version
BEGIN
  INSERT INTO action_events (action_id, portal_id, requester_id, kind, version, snapshot, created_at)
  VALUES (NEW.id, NEW.portal_id, NEW.requester_id,
    CASE WHEN NEW.status <> OLD.status THEN 'action.status' ELSE 'action.progress' END, NEW.version,
    json_object('id', NEW.id, 'referenceId', NEW.reference_id, 'taskId', NEW.task_id, 'step', NEW.step, 'steps', NEW.steps, 'portalId', NEW.portal_id, 'requesterId', NEW.requester_id, 'requesterName', NEW.requester_name, 'requesterEmail', NEW.requester_email, 'requesterRole', NEW.requester_role, 'type', NEW.type, 'status', NEW.status, 'fileName', NEW.file_name, 'total', NEW.total, 'processed', NEW.processed, 'succeeded', NEW.succeeded, 'errors', NEW.errors, 'warnings', NEW.warnings, 'failureReason', NEW.failure_reason, 'createdAt', NEW.created_at, 'scheduledFor', NEW.scheduled_for, 'startedAt', NEW.started_at, 'completedAt', NEW.completed_at, 'reportRows', NEW.report_rows, 'reportExpiresAt', NEW.report_expires_at, 'reportExpired', NEW.report_expired, 'version', NEW.version),
    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
--> statement-breakpoint
-- A final status never changes again, whichever process tries.
CREATE TRIGGER actions_final_is_final BEFORE UPDATE OF status ON actions
WHEN OLD.status IN ('completed', 'completed_with_errors', 'cancelled', 'failed', 'timeout') AND NEW.status <> OLD.status
BEGIN
  SELECT RAISE(ABORT, 'final action status cannot change');
END;
