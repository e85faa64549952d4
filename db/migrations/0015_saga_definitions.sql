-- Sagas are definitions: each declares the business keys it is found by. They move from three
-- checkout columns into one jsonb document written when the saga starts and never changed (so
-- updates stay HOT), searched ignoring case through a GIN index on its lower-cased text. A shipment
-- gets its dispatch time and, when an order cancellation withdraws it, the saga that did.
ALTER TABLE "saga"."instances" ADD COLUMN "business_keys" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
UPDATE "saga"."instances" SET "business_keys" = jsonb_strip_nulls(jsonb_build_object('orderId', "order_id", 'customerId', "customer_id", 'email', "email"));--> statement-breakpoint
DROP INDEX "saga"."instances_order_idx";--> statement-breakpoint
DROP INDEX "saga"."instances_customer_idx";--> statement-breakpoint
DROP INDEX "saga"."instances_email_lower_idx";--> statement-breakpoint
ALTER TABLE "saga"."instances" DROP COLUMN "order_id";--> statement-breakpoint
ALTER TABLE "saga"."instances" DROP COLUMN "customer_id";--> statement-breakpoint
ALTER TABLE "saga"."instances" DROP COLUMN "email";--> statement-breakpoint
CREATE INDEX "instances_business_keys_idx" ON "saga"."instances" USING gin ((lower("business_keys"::text)::jsonb) jsonb_path_ops);
--> statement-breakpoint
ALTER TABLE "shipping"."shipments" ADD COLUMN "ship_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "shipping"."shipments" ADD COLUMN "shipped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "shipping"."shipments" ADD COLUMN "withdrawn_by" uuid;
