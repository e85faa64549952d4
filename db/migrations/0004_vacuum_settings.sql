-- Tables that churn (rows inserted and deleted within milliseconds, or updated at every saga step)
-- are vacuumed by row count rather than by a fraction of their size, where autovacuum runs.
-- Where it does not (autovacuum = off), the orchestrator's table maintenance vacuums them.
ALTER TABLE "outbox" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);--> statement-breakpoint
ALTER TABLE "inbox" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);--> statement-breakpoint
ALTER TABLE "saga"."instances" SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);--> statement-breakpoint
ALTER TABLE "inventory"."products" SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);--> statement-breakpoint
ALTER TABLE "inventory"."reservations" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);--> statement-breakpoint
ALTER TABLE "orders"."orders" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);
