-- Hand-written (issue 16): the event snapshot carries the new columns of the action's view (dry_run,
-- retry_of, timeline, and whether a CSV upload's shape was kept: '' for it, not the header itself), so
-- streams, the poll cache and the edge show them with no extra read. SQLite cannot alter a trigger: both
-- are dropped and created again exactly as in 0001, with these four keys added. The timeline goes in as
-- JSON (json(): a value fresh from json_insert would be embedded as JSON, one read from the row as text).
DROP TRIGGER IF EXISTS action_events_on_insert;
--> statement-breakpoint
DROP TRIGGER IF EXISTS action_events_on_update;
--> statement-breakpoint
CREATE TRIGGER action_events_on_insert AFTER INSERT ON actions
BEGIN
  INSERT INTO action_events (action_id, portal_id, requester_id, kind, version, snapshot, created_at)
  VALUES (NEW.id, NEW.portal_id, NEW.requester_id, 'action.status', NEW.version,
    json_object('id', NEW.id, 'referenceId', NEW.reference_id, 'taskId', NEW.task_id, 'step', NEW.step, 'steps', NEW.steps, 'portalId', NEW.portal_id, 'requesterId', NEW.requester_id, 'requesterName', NEW.requester_name, 'requesterEmail', NEW.requester_email, 'requesterRole', NEW.requester_role, 'type', NEW.type, 'status', NEW.status, 'fileName', NEW.file_name, 'total', NEW.total, 'processed', NEW.processed, 'succeeded', NEW.succeeded, 'errors', NEW.errors, 'warnings', NEW.warnings, 'failureReason', NEW.failure_reason, 'createdAt', NEW.created_at, 'scheduledFor', NEW.scheduled_for, 'startedAt', NEW.started_at, 'completedAt', NEW.completed_at, 'reportRows', NEW.report_rows, 'reportExpiresAt', NEW.report_expires_at, 'reportExpired', NEW.report_expired, 'dryRun', NEW.dry_run, 'retryOf', NEW.retry_of, 'timeline', json(NEW.timeline), 'source', CASE WHEN NEW.source IS NULL THEN NULL ELSE '' END, 'version', NEW.version),
    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
--> statement-breakpoint
CREATE TRIGGER action_events_on_update AFTER UPDATE OF version ON actions
WHEN NEW.version > OLD.version
BEGIN
  INSERT INTO action_events (action_id, portal_id, requester_id, kind, version, snapshot, created_at)
  VALUES (NEW.id, NEW.portal_id, NEW.requester_id,
    CASE WHEN NEW.status <> OLD.status THEN 'action.status' ELSE 'action.progress' END, NEW.version,
    json_object('id', NEW.id, 'referenceId', NEW.reference_id, 'taskId', NEW.task_id, 'step', NEW.step, 'steps', NEW.steps, 'portalId', NEW.portal_id, 'requesterId', NEW.requester_id, 'requesterName', NEW.requester_name, 'requesterEmail', NEW.requester_email, 'requesterRole', NEW.requester_role, 'type', NEW.type, 'status', NEW.status, 'fileName', NEW.file_name, 'total', NEW.total, 'processed', NEW.processed, 'succeeded', NEW.succeeded, 'errors', NEW.errors, 'warnings', NEW.warnings, 'failureReason', NEW.failure_reason, 'createdAt', NEW.created_at, 'scheduledFor', NEW.scheduled_for, 'startedAt', NEW.started_at, 'completedAt', NEW.completed_at, 'reportRows', NEW.report_rows, 'reportExpiresAt', NEW.report_expires_at, 'reportExpired', NEW.report_expired, 'dryRun', NEW.dry_run, 'retryOf', NEW.retry_of, 'timeline', json(NEW.timeline), 'source', CASE WHEN NEW.source IS NULL THEN NULL ELSE '' END, 'version', NEW.version),
    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
--> statement-breakpoint
-- Actions that existed before: their timeline from the status events still in the log (events older than
-- 30 days are pruned, so the oldest actions keep an empty one). The cause is what usually makes each move.
UPDATE actions SET timeline = coalesce((
  SELECT json_group_array(json_object('status', e.status, 'at', e.created_at, 'by', e.cause, 'note', NULL))
  FROM (
    SELECT snapshot ->> 'status' AS status, created_at,
      CASE
        WHEN version = 1 OR (snapshot ->> 'status') = 'cancelled' THEN 'requester'
        WHEN (snapshot ->> 'status') IN ('not_started', 'timeout') THEN 'clock'
        ELSE 'worker'
      END AS cause
    FROM action_events WHERE action_id = actions.id AND kind = 'action.status' ORDER BY id
  ) AS e), '[]');
