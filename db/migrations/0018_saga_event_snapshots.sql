ALTER TABLE "saga"."events" ADD COLUMN "state" jsonb;--> statement-breakpoint
ALTER TABLE "saga"."events" ADD COLUMN "deadline_at" timestamp with time zone;