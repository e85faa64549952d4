// Settings of the admin API, parsed from the environment with the rest of the orchestrator's config.
import { z } from 'zod';

export const adminSettingsSchema = z.object({
  /** Login of the first operator, created on first start when no user exists. */
  bootstrapEmail: z.string().email(),
  /** Its password; when unset a random one is generated and logged once. */
  bootstrapPassword: z.string().min(12).optional(),
  /** How long a session lasts at most, active or not. */
  sessionTtlHours: z.number().positive(),
  /** A session with no request for this long ends. */
  sessionIdleMinutes: z.number().positive(),
  /** Login attempts allowed per account (email), from any address, in 15 minutes. */
  loginAttemptsPerAccount: z.number().int().positive(),
  /** Login attempts allowed per client address, to any account, in 15 minutes. */
  loginAttemptsPerAddress: z.number().int().positive(),
  /** Reverse proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client; empty: none. */
  trustedProxies: z.array(z.string()),
  /** Default pace of a bulk replay job, in messages per second. */
  replayRatePerSecond: z.number().int().positive(),
  /** Replays per second all running jobs share, summed over every orchestrator (a token bucket in PostgreSQL). */
  replayBudgetPerSecond: z.number().int().positive(),
  /** Jobs one orchestrator runs at once; the others wait their turn (or another orchestrator). */
  replayJobConcurrency: z.number().int().positive(),
  /** Queued or running jobs one operator may have at a time. */
  openReplayJobsPerOperator: z.number().int().positive(),
  /** Connections of the admin API's own pool (separate from the saga engine's). */
  databasePoolSize: z.number().int().positive(),
  /** Longest an admin query may run before PostgreSQL cancels it (the request answers 503). */
  statementTimeoutMs: z.number().int().positive(),
  /** Lifetime of an API token created without `expiresInDays`. */
  apiTokenDefaultDays: z.number().int().positive(),
  /** The longest lifetime an API token may be given. */
  apiTokenMaxDays: z.number().int().positive(),
  /** RabbitMQ management API, for queue depths and rates (user info in the URL). */
  managementUrl: z.string().url(),
  /** Link from a saga to its trace: a URL with `{traceId}` (Jaeger: http://host:16686/trace/{traceId}); empty: no link. */
  traceUrlTemplate: z.string(),
  /** Live-update streams (console tabs) one session or API token may hold open at once. */
  liveStreamsPerSession: z.number().int().positive(),
  /** Interval of the keep-alive comment on a live stream, so proxies keep it open. */
  liveHeartbeatMs: z.number().int().positive(),
  /** A live stream ends after this long; the client reconnects, and its session is checked again. */
  liveStreamMaxMs: z.number().int().positive(),
});
export type AdminSettings = z.infer<typeof adminSettingsSchema>;

export const defaultAdminSettings: AdminSettings = {
  bootstrapEmail: 'admin@sagaport.local',
  sessionTtlHours: 12,
  sessionIdleMinutes: 30,
  loginAttemptsPerAccount: 10,
  loginAttemptsPerAddress: 50,
  trustedProxies: [],
  replayRatePerSecond: 50,
  replayBudgetPerSecond: 200,
  replayJobConcurrency: 4,
  openReplayJobsPerOperator: 3,
  databasePoolSize: 4,
  statementTimeoutMs: 5_000,
  apiTokenDefaultDays: 30,
  apiTokenMaxDays: 365,
  managementUrl: 'http://guest:guest@127.0.0.1:15672',
  traceUrlTemplate: '',
  liveStreamsPerSession: 4,
  liveHeartbeatMs: 15_000,
  liveStreamMaxMs: 10 * 60_000,
};
