CREATE SCHEMA "inventory";
--> statement-breakpoint
CREATE SCHEMA "orders";
--> statement-breakpoint
CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE SCHEMA "saga";
--> statement-breakpoint
CREATE SCHEMA "shipping";
--> statement-breakpoint
CREATE TABLE "payments"."charges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"saga_id" uuid NOT NULL,
	"order_id" uuid NOT NULL,
	"amount_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"provider_reference" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "charges_saga_id_unique" UNIQUE("saga_id")
);
--> statement-breakpoint
CREATE TABLE "saga"."checkout_requests" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"request_hash" text NOT NULL,
	"saga_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders"."orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"saga_id" uuid NOT NULL,
	"customer_id" text NOT NULL,
	"email" text NOT NULL,
	"items" jsonb NOT NULL,
	"total_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"status" text NOT NULL,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_saga_id_unique" UNIQUE("saga_id")
);
--> statement-breakpoint
CREATE TABLE "inventory"."products" (
	"sku" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"available" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_available_nonnegative" CHECK ("inventory"."products"."available" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payments"."refunds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"saga_id" uuid NOT NULL,
	"charge_id" uuid NOT NULL,
	"amount_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_saga_id_unique" UNIQUE("saga_id")
);
--> statement-breakpoint
CREATE TABLE "inventory"."reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"saga_id" uuid NOT NULL,
	"lines" jsonb NOT NULL,
	"status" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_order_id_unique" UNIQUE("order_id")
);
--> statement-breakpoint
CREATE TABLE "saga"."events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"saga_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"kind" text NOT NULL,
	"message_type" text,
	"message_id" uuid,
	"detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "saga"."instances" (
	"id" uuid PRIMARY KEY NOT NULL,
	"saga_type" text NOT NULL,
	"status" text NOT NULL,
	"current_step" text,
	"state" jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"outcome" text,
	"failure_reason" jsonb,
	"deadline_at" timestamp with time zone,
	"order_id" uuid,
	"customer_id" text,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "shipping"."shipments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"saga_id" uuid NOT NULL,
	"order_id" uuid NOT NULL,
	"country" text NOT NULL,
	"address" jsonb NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipments_saga_id_unique" UNIQUE("saga_id")
);
--> statement-breakpoint
CREATE INDEX "reservations_expiry_idx" ON "inventory"."reservations" USING btree ("expires_at") WHERE "inventory"."reservations"."status" = 'held';--> statement-breakpoint
CREATE INDEX "events_saga_idx" ON "saga"."events" USING btree ("saga_id","id");--> statement-breakpoint
CREATE INDEX "instances_status_idx" ON "saga"."instances" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "instances_deadline_idx" ON "saga"."instances" USING btree ("deadline_at") WHERE "saga"."instances"."deadline_at" is not null;--> statement-breakpoint
CREATE INDEX "instances_order_idx" ON "saga"."instances" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "instances_customer_idx" ON "saga"."instances" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "instances_email_idx" ON "saga"."instances" USING btree ("email");