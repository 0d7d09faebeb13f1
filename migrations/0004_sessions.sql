CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`portal_id` text NOT NULL,
	`subject` text NOT NULL,
	`role` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `sessions_expiry` ON `sessions` (`expires_at`);