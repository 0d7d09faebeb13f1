CREATE TABLE `action_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`action_id` integer NOT NULL,
	`portal_id` text NOT NULL,
	`requester_id` text NOT NULL,
	`kind` text NOT NULL,
	`version` integer NOT NULL,
	`snapshot` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `action_events_owner` ON `action_events` (`portal_id`,`requester_id`,`id`);--> statement-breakpoint
CREATE INDEX `action_events_created` ON `action_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `action_inputs` (
	`action_id` integer NOT NULL,
	`chunk` integer NOT NULL,
	`first` integer NOT NULL,
	`count` integer NOT NULL,
	`items` text NOT NULL,
	PRIMARY KEY(`action_id`, `chunk`)
);
--> statement-breakpoint
CREATE TABLE `actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`reference_id` text NOT NULL,
	`task_id` text,
	`step` integer DEFAULT 1 NOT NULL,
	`steps` integer DEFAULT 1 NOT NULL,
	`portal_id` text NOT NULL,
	`requester_id` text NOT NULL,
	`requester_name` text NOT NULL,
	`requester_email` text NOT NULL,
	`requester_role` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`file_name` text,
	`params` text DEFAULT '{}' NOT NULL,
	`notify` integer DEFAULT 1 NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`processed` integer DEFAULT 0 NOT NULL,
	`succeeded` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`warnings` integer DEFAULT 0 NOT NULL,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`scheduled_for` integer,
	`started_at` integer,
	`completed_at` integer,
	`report_rows` integer DEFAULT 0 NOT NULL,
	`report_expires_at` integer,
	`report_expired` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`idempotency_key` text,
	`run_at` integer,
	`wait_for` integer,
	`lease_owner` text,
	`lease_expires_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`checkpoint` integer DEFAULT 0 NOT NULL,
	`state` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `actions_reference_id` ON `actions` (`reference_id`);--> statement-breakpoint
CREATE INDEX `actions_owner_list` ON `actions` (`portal_id`,`requester_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `actions_idempotency` ON `actions` (`portal_id`,`requester_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `actions_due` ON `actions` (`status`,`run_at`);--> statement-breakpoint
CREATE INDEX `actions_report_expiry` ON `actions` (`report_expired`,`report_expires_at`);--> statement-breakpoint
CREATE TABLE `blobs` (
	`key` text PRIMARY KEY NOT NULL,
	`data` text NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `courses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`portal_id` text NOT NULL,
	`code` text NOT NULL,
	`title` text NOT NULL,
	`package_kind` text,
	`package_key` text,
	`launch_path` text,
	`content_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `courses_portal_code` ON `courses` (`portal_id`,`code`);--> statement-breakpoint
CREATE TABLE `enrollments` (
	`course_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`due_date` integer,
	`status` text DEFAULT 'enrolled' NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`score` integer,
	`completed_at` integer,
	`enrolled_at` integer NOT NULL,
	PRIMARY KEY(`course_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `enrollments_user` ON `enrollments` (`user_id`);--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `group_members_user` ON `group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`portal_id` text NOT NULL,
	`name` text NOT NULL,
	`rule` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_portal_name` ON `groups` (`portal_id`,`name`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`action_id` integer,
	`idempotency_key` text NOT NULL,
	`to_address` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text NOT NULL,
	`html_body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_expires_at` integer,
	`last_error` text,
	`provider_id` text,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_idempotency` ON `outbox` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `report_rows` (
	`action_id` integer NOT NULL,
	`row` integer NOT NULL,
	`status` text NOT NULL,
	`identifier` text NOT NULL,
	`issue` text NOT NULL,
	`resolution` text NOT NULL,
	PRIMARY KEY(`action_id`, `row`)
);
--> statement-breakpoint
CREATE TABLE `slice_guard` (
	`ok` integer NOT NULL,
	CONSTRAINT "slice_guard_ok" CHECK("slice_guard"."ok" = 1)
);
--> statement-breakpoint
CREATE TABLE `training_history` (
	`user_id` integer NOT NULL,
	`course_id` integer NOT NULL,
	`completed_at` integer NOT NULL,
	`status` text NOT NULL,
	`score` integer,
	`action_id` integer NOT NULL,
	PRIMARY KEY(`user_id`, `course_id`, `completed_at`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`portal_id` text NOT NULL,
	`email` text NOT NULL,
	`first_name` text DEFAULT '' NOT NULL,
	`last_name` text DEFAULT '' NOT NULL,
	`role` text DEFAULT 'learner' NOT NULL,
	`department` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_portal_email` ON `users` (`portal_id`,`email`);