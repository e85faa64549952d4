CREATE SCHEMA "admin";
--> statement-breakpoint
CREATE TABLE "admin"."sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "admin"."users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login_at" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "admin"."audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" uuid,
	"actor_email" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"failure_key" text NOT NULL,
	"dead_letter_queue" text NOT NULL,
	"original_exchange" text NOT NULL,
	"original_routing_key" text NOT NULL,
	"original_queue" text NOT NULL,
	"message_id" text NOT NULL,
	"message_type" text NOT NULL,
	"saga_id" uuid,
	"headers" jsonb NOT NULL,
	"properties" jsonb NOT NULL,
	"body" text NOT NULL,
	"body_encoding" text NOT NULL,
	"error_class" text NOT NULL,
	"error_name" text NOT NULL,
	"error_message" text NOT NULL,
	"error_stack" text DEFAULT '' NOT NULL,
	"attempts" integer NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL,
	"failed_by" text NOT NULL,
	"fingerprint" text NOT NULL,
	"fingerprint_text" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replay_of" uuid,
	"replayed_at" timestamp with time zone,
	"replayed_by" text,
	"replay_message_id" uuid,
	"replay_edited" boolean,
	"discarded_at" timestamp with time zone,
	"discarded_by" text,
	"discard_reason" text,
	CONSTRAINT "dead_letters_failure_key_unique" UNIQUE("failure_key")
);
--> statement-breakpoint
CREATE TABLE "message_retries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"failure_key" text NOT NULL,
	"message_id" text NOT NULL,
	"message_type" text NOT NULL,
	"saga_id" uuid,
	"queue" text NOT NULL,
	"next_attempt" integer NOT NULL,
	"tier" text NOT NULL,
	"delay_ms" integer,
	"error_class" text NOT NULL,
	"error_message" text NOT NULL,
	"failed_by" text NOT NULL,
	"failed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "message_retries_failure_key_unique" UNIQUE("failure_key")
);
--> statement-breakpoint
CREATE TABLE "admin"."replay_job_items" (
	"job_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"dead_letter_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"detail" text,
	"replay_message_id" uuid,
	"processed_at" timestamp with time zone,
	CONSTRAINT "replay_job_items_job_id_seq_pk" PRIMARY KEY("job_id","seq")
);
--> statement-breakpoint
CREATE TABLE "admin"."replay_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_by_id" uuid NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"status" text DEFAULT 'queued' NOT NULL,
	"selector" jsonb NOT NULL,
	"rate_per_second" integer NOT NULL,
	"total" integer NOT NULL,
	"replayed" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"runner" text,
	"heartbeat_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "admin"."sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "admin"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "admin"."replay_job_items" ADD CONSTRAINT "replay_job_items_job_id_replay_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "admin"."replay_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "admin"."sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "admin"."audit_log" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "admin"."audit_log" USING btree ("action","at");--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "admin"."audit_log" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "dead_letters_status_idx" ON "dead_letters" USING btree ("status","last_failed_at","id");--> statement-breakpoint
CREATE INDEX "dead_letters_failed_idx" ON "dead_letters" USING btree ("last_failed_at","id");--> statement-breakpoint
CREATE INDEX "dead_letters_fingerprint_idx" ON "dead_letters" USING btree ("fingerprint","last_failed_at");--> statement-breakpoint
CREATE INDEX "dead_letters_saga_idx" ON "dead_letters" USING btree ("saga_id") WHERE "dead_letters"."saga_id" is not null;--> statement-breakpoint
CREATE INDEX "dead_letters_message_idx" ON "dead_letters" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "message_retries_saga_idx" ON "message_retries" USING btree ("saga_id","failed_at") WHERE "message_retries"."saga_id" is not null;--> statement-breakpoint
CREATE INDEX "replay_job_items_dl_idx" ON "admin"."replay_job_items" USING btree ("dead_letter_id");--> statement-breakpoint
CREATE INDEX "replay_jobs_status_idx" ON "admin"."replay_jobs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "instances_created_idx" ON "saga"."instances" USING btree ("created_at","id");