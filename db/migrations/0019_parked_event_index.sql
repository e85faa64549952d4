ALTER TABLE "projections"."parked_events" DROP CONSTRAINT "parked_events_projection_offset_key";--> statement-breakpoint
ALTER TABLE "projections"."parked_events" ADD COLUMN "event_index" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "projections"."parked_events" ADD CONSTRAINT "parked_events_projection_offset_key" UNIQUE("projection","stream_offset","event_index");