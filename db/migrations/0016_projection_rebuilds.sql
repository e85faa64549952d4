CREATE TABLE "projections"."rebuilds" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"projection" text NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"applied_events" bigint DEFAULT 0 NOT NULL,
	"stream_offset" bigint NOT NULL,
	"target_offset" bigint NOT NULL,
	"last_event_at" timestamp with time zone,
	"started_by" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"error" text,
	"owner" text NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "rebuilds_one_active_idx" ON "projections"."rebuilds" USING btree ("projection") WHERE state = any (array['running', 'swapping']);--> statement-breakpoint
CREATE INDEX "rebuilds_projection_idx" ON "projections"."rebuilds" USING btree ("projection","id");