-- The admin API's text filters: trigram indexes (pg_trgm, trusted, in PostgreSQL's contrib) serve
-- the substring searches, a lower(email) index the case-insensitive email match; and the publish
-- budget that every bulk replay job shares.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE TABLE "admin"."replay_budget" (
	"id" integer PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"refilled_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
INSERT INTO "admin"."replay_budget" ("id", "tokens") VALUES (1, 0);--> statement-breakpoint
DROP INDEX "saga"."instances_email_idx";--> statement-breakpoint
CREATE INDEX "audit_log_actor_trgm_idx" ON "admin"."audit_log" USING gin ("actor_email" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "dead_letters_error_message_trgm_idx" ON "dead_letters" USING gin ("error_message" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "dead_letters_message_id_trgm_idx" ON "dead_letters" USING gin ("message_id" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "dead_letters_body_trgm_idx" ON "dead_letters" USING gin ("body" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "instances_email_lower_idx" ON "saga"."instances" USING btree (lower(email));
