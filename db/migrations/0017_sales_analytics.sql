CREATE TABLE "projections"."sales_by_minute" (
	"minute" timestamp with time zone NOT NULL,
	"sku" text NOT NULL,
	"currency" text NOT NULL,
	"orders_sold" integer DEFAULT 0 NOT NULL,
	"units_sold" bigint DEFAULT 0 NOT NULL,
	"revenue_cents" bigint DEFAULT 0 NOT NULL,
	"orders_cancelled" integer DEFAULT 0 NOT NULL,
	"units_cancelled" bigint DEFAULT 0 NOT NULL,
	"revenue_cancelled_cents" bigint DEFAULT 0 NOT NULL,
	"card_declines" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sales_by_minute_minute_sku_currency_pk" PRIMARY KEY("minute","sku","currency")
);
--> statement-breakpoint
CREATE TABLE "projections"."sales_orders" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"currency" text,
	"lines" jsonb,
	"confirmed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"declined_at" timestamp with time zone,
	"sold_booked" boolean DEFAULT false NOT NULL,
	"cancel_booked" boolean DEFAULT false NOT NULL,
	"decline_booked" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "shipping"."shipments" ADD COLUMN "event_sequence" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
UPDATE "shipping"."shipments" SET "event_sequence" = 2 WHERE "status" <> 'scheduled';
