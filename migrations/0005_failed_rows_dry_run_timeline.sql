ALTER TABLE `actions` ADD `dry_run` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `actions` ADD `retry_of` text;--> statement-breakpoint
ALTER TABLE `actions` ADD `timeline` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `actions` ADD `source` text;--> statement-breakpoint
CREATE INDEX `actions_retry_of` ON `actions` (`retry_of`);--> statement-breakpoint
ALTER TABLE `report_rows` ADD `raw` text;