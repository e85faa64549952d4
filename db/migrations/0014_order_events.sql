CREATE SCHEMA "projections";
--> statement-breakpoint
CREATE TABLE "projections"."order_history" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"saga_id" uuid,
	"customer_id" text,
	"status" text NOT NULL,
	"currency" text,
	"total_cents" bigint,
	"lines" jsonb,
	"cancel_reason" text,
	"stock_status" text,
	"payment_status" text,
	"charged_cents" bigint,
	"refunded_cents" bigint,
	"shipment_status" text,
	"placed_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "projections"."order_history_events" (
	"order_id" uuid NOT NULL,
	"aggregate_type" text NOT NULL,
	"sequence" integer NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"written_version" integer NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"stream_offset" bigint NOT NULL,
	"payload" jsonb NOT NULL,
	CONSTRAINT "order_history_events_order_id_aggregate_type_sequence_pk" PRIMARY KEY("order_id","aggregate_type","sequence")
);
--> statement-breakpoint
CREATE TABLE "projections"."parked_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"projection" text NOT NULL,
	"stream_offset" bigint NOT NULL,
	"message_id" text,
	"message_type" text,
	"correlation_id" text,
	"headers" jsonb NOT NULL,
	"body" text NOT NULL,
	"error" text NOT NULL,
	"parked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolution" text,
	"resolved_by" text,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "parked_events_projection_offset_key" UNIQUE("projection","stream_offset")
);
--> statement-breakpoint
CREATE TABLE "projections"."checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"stream_offset" bigint NOT NULL,
	"last_event_at" timestamp with time zone,
	"applied_events" bigint DEFAULT 0 NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"last_error" text,
	"owner" text,
	"lease_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "order_history_customer_idx" ON "projections"."order_history" USING btree ("customer_id","placed_at","order_id");--> statement-breakpoint
CREATE INDEX "parked_events_open_idx" ON "projections"."parked_events" USING btree ("projection","id") WHERE resolved_at is null;