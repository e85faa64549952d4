-- The suspect lane's ledger: a redelivered message run alone is recorded here (committed) before it
-- runs and deleted after; a row found at its next delivery means its process died running it.
CREATE TABLE "message_crashes" (
	"key" text PRIMARY KEY NOT NULL,
	"runs" integer NOT NULL,
	"first_run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_run_at" timestamp with time zone DEFAULT now() NOT NULL
);
