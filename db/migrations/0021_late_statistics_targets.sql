-- The documents stored whole by tables added after the first statistics targets were set: like
-- those, nothing filters, joins or sorts on them, and ANALYZE built histograms of a 30,000-row
-- sample of each that no plan reads (analyzing the growing order-history event list took about
-- 390 ms under load). A target of 0 skips the column.
ALTER TABLE "saga"."events" ALTER COLUMN "state" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "projections"."order_history_events" ALTER COLUMN "payload" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "projections"."order_history" ALTER COLUMN "lines" SET STATISTICS 0;--> statement-breakpoint
ALTER TABLE "projections"."sales_orders" ALTER COLUMN "lines" SET STATISTICS 0;
