CREATE TABLE "payments"."provider_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"operation" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" integer NOT NULL,
	"reference" text,
	"amount_cents" integer NOT NULL,
	"replayed" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "provider_calls_money_moved_idx" ON "payments"."provider_calls" USING btree ("operation","idempotency_key") WHERE "payments"."provider_calls"."status" = 201 and not "payments"."provider_calls"."replayed";