// The admin console's tables: users, sessions, API tokens, the login throttle, the audit log and bulk replay jobs.
import {
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

export const adminSchema = pgSchema('admin');

/** Roles of console users: a viewer reads everything, an operator may also change things. */
export const AdminRole = { viewer: 'viewer', operator: 'operator' } as const;
export type AdminRole = (typeof AdminRole)[keyof typeof AdminRole];

export const adminUsers = adminSchema.table('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Lower-cased; the login name. */
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: text('role').$type<AdminRole>().notNull(),
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
});

/** A logged-in browser. The cookie holds a random token; only its SHA-256 is stored here. */
export const adminSessions = adminSchema.table(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    /** The session's public name, for listing and revoking it; the token hash never leaves the server. */
    id: uuid('id').notNull().unique().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    /** Sent back by the console in `X-CSRF-Token` on every mutation. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Last request seen, to a minute; a session idle longer than the idle timeout ends. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    userAgent: text('user_agent'),
    /** The client address at sign-in. */
    address: text('address'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/**
 * Login attempt counters shared by every orchestrator (rate-limiter-flexible's Drizzle store:
 * the column names are the library's). A key is a kind and a client address or an email's hash.
 */
export const loginThrottle = adminSchema.table('login_throttle', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: timestamp('expire', { withTimezone: true }),
});

/**
 * A named, scoped, expiring credential for automation (the CLI, scripts). The bearer holds
 * `sgp_<secret>`; only its SHA-256 is stored. Acts as its user, with at most `scope`.
 */
export const apiTokens = adminSchema.table(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The most the token may do; its user's current role caps it further. */
    scope: text('scope').$type<AdminRole>().notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** The first characters of the token, so a person can tell tokens apart; never enough to use one. */
    hint: text('hint').notNull(),
    /** Set when a token made this one: revoking that token revokes this one too. */
    createdByTokenId: uuid('created_by_token_id').references((): AnyPgColumn => apiTokens.id, {
      onDelete: 'set null',
    }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Updated at most once a minute, so using a token rarely writes. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: text('revoked_by'),
  },
  (t) => [
    index('api_tokens_user_idx').on(t.userId, t.createdAt),
    index('api_tokens_created_by_token_idx').on(t.createdByTokenId),
  ],
);

/** Every mutation made through the admin API: who, what, on what, with which details, when. */
export const auditLog = adminSchema.table(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: uuid('actor_id'),
    actorEmail: text('actor_email').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at, t.id),
    index('audit_log_action_idx').on(t.action, t.at),
    index('audit_log_target_idx').on(t.targetType, t.targetId),
    // The actor filter is a case-insensitive substring (`ILIKE '%…%'`): a trigram index serves it.
    index('audit_log_actor_trgm_idx').using('gin', t.actorEmail.op('gin_trgm_ops')),
  ],
);

/** Status of a bulk replay job. */
export const ReplayJobStatus = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
} as const;
export type ReplayJobStatus = (typeof ReplayJobStatus)[keyof typeof ReplayJobStatus];

/** A throttled bulk replay: what was selected, by whom, and how far it got. */
export const replayJobs = adminSchema.table(
  'replay_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The operator who started the job; replays are audited in their name. */
    createdById: uuid('created_by_id').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    status: text('status').$type<ReplayJobStatus>().notNull().default('queued'),
    /** How the dead letters were chosen: ids, a group or a filter, as the request gave it. */
    selector: jsonb('selector').$type<Record<string, unknown>>().notNull(),
    ratePerSecond: integer('rate_per_second').notNull(),
    total: integer('total').notNull(),
    replayed: integer('replayed').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** The process running it and when it last reported, so a dead runner's job is taken over. */
    runner: text('runner'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
  },
  (t) => [index('replay_jobs_status_idx').on(t.status, t.createdAt)],
);

/**
 * The publish budget all running bulk replay jobs share, across every orchestrator: a token bucket
 * (one row, id 1) refilled at the configured rate by whoever takes from it.
 */
export const replayBudget = adminSchema.table('replay_budget', {
  id: integer('id').primaryKey(),
  tokens: doublePrecision('tokens').notNull(),
  refilledAt: timestamp('refilled_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One dead letter of a bulk replay job and what became of it. */
export const replayJobItems = adminSchema.table(
  'replay_job_items',
  {
    jobId: uuid('job_id')
      .notNull()
      .references(() => replayJobs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    deadLetterId: uuid('dead_letter_id').notNull(),
    /** pending, replayed, skipped (not open any more) or failed (with `detail`). */
    status: text('status').notNull().default('pending'),
    detail: text('detail'),
    replayMessageId: uuid('replay_message_id'),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] }), index('replay_job_items_dl_idx').on(t.deadLetterId)],
);
