CREATE TABLE "admin"."login_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "admin"."sessions" ADD COLUMN "id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "admin"."sessions" ADD COLUMN "address" text;--> statement-breakpoint
ALTER TABLE "admin"."sessions" ADD CONSTRAINT "sessions_id_unique" UNIQUE("id");