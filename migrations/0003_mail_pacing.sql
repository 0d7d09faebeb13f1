CREATE TABLE `mail_pace` (
	`scope` text PRIMARY KEY NOT NULL,
	`next_at` integer NOT NULL,
	`pace` real NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mail_portals` (
	`portal_id` text PRIMARY KEY NOT NULL,
	`last_tag` integer NOT NULL,
	`tat` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `outbox` ADD `kind` text DEFAULT 'completion' NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `portal_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `queue_tag` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `batch_key` text;--> statement-breakpoint
CREATE INDEX `outbox_queue` ON `outbox` (`status`,`kind`,`queue_tag`);--> statement-breakpoint
CREATE INDEX `outbox_batch` ON `outbox` (`status`,`batch_key`);--> statement-breakpoint
CREATE INDEX `outbox_sent` ON `outbox` (`sent_at`);--> statement-breakpoint
-- Hand-written (not generated): rows written before this migration get their kind and portal, and rows
-- already attempted keep the key they were first sent with, as a send unit of their own.
UPDATE `outbox` SET `kind` = 'reminder' WHERE `idempotency_key` LIKE 'reminder/%';--> statement-breakpoint
UPDATE `outbox` SET `portal_id` = coalesce((SELECT `portal_id` FROM `actions` WHERE `actions`.`id` = `outbox`.`action_id`), '');--> statement-breakpoint
UPDATE `outbox` SET `batch_key` = `idempotency_key` WHERE `status` = 'sending' OR (`status` = 'pending' AND `attempts` > 0);
