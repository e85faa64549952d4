// Orchestrator configuration: HTTP settings here, database and broker settings from their packages.
import { loadDbConfig, type DbConfig } from '@sagaport/db';
import { loadBrokerConfig, type BrokerConfig } from '@sagaport/rabbitmq';
import { z } from 'zod';
import { type AdminSettings, defaultAdminSettings, parseTrustedProxies } from '@sagaport/admin-api';
import { defaultRetentionAges, type RetentionAges } from './retention/runner.js';

const HttpEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  METRICS_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STEP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  STEP_MAX_SENDS: z.coerce.number().int().min(1).max(100).default(3),
  TIMEOUT_SCAN_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  STEP_HOLD_MAX_MS: z.coerce.number().int().min(0).default(300_000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(200),
  OUTBOX_LANES: z.coerce.number().int().min(1).max(16).default(2),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  OUTBOX_DISPATCH_GRACE_MS: z.coerce.number().int().min(100).default(5_000),
  OUTBOX_MAX_AGE_SECONDS: z.coerce.number().min(0).default(60),
  RETENTION_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  RETENTION_SAGA_EVENTS_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.sagaEventsDays),
  RETENTION_INBOX_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.inboxDays),
  RETENTION_DEAD_LETTERS_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.deadLettersDays),
  RETENTION_RETRIES_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.retriesDays),
  RETENTION_AUDIT_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.auditDays),
  RETENTION_REPLAY_JOBS_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.replayJobsDays),
  RETENTION_SESSIONS_DAYS: z.coerce.number().int().min(1).default(defaultRetentionAges.sessionsDays),
  PROJECTIONS: z.enum(['on', 'off']).default('on'),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  PROJECTION_LINGER_MS: z.coerce.number().int().min(0).max(5_000).default(300),
  PROJECTION_LEASE_SECONDS: z.coerce.number().min(1).max(600).default(10),
  PROJECTION_ON_UNAPPLIABLE: z.enum(['continue', 'stop']).default('continue'),
  PROJECTION_LAG_SAMPLE_MS: z.coerce.number().int().min(0).default(5_000),
  FAULT_DUPLICATE_PUBLISHES: z.enum(['0', '1', 'false', 'true']).default('0'),
  TABLE_MAINTENANCE: z.enum(['auto', 'on', 'off']).default('auto'),
  CATALOGUE_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  ADMIN_EMAIL: z.string().email().default(defaultAdminSettings.bootstrapEmail),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(defaultAdminSettings.sessionTtlHours),
  SESSION_IDLE_MINUTES: z.coerce.number().positive().default(defaultAdminSettings.sessionIdleMinutes),
  LOGIN_ATTEMPTS_PER_15_MIN: z.coerce
    .number()
    .int()
    .positive()
    .default(defaultAdminSettings.loginAttemptsPerAccount),
  LOGIN_ATTEMPTS_PER_ADDRESS_PER_15_MIN: z.coerce
    .number()
    .int()
    .positive()
    .default(defaultAdminSettings.loginAttemptsPerAddress),
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((spec, ctx) => {
      try {
        return parseTrustedProxies(spec);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  REPLAY_RATE_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(defaultAdminSettings.replayRatePerSecond),
  REPLAY_BUDGET_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(defaultAdminSettings.replayBudgetPerSecond),
  REPLAY_JOB_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(defaultAdminSettings.replayJobConcurrency),
  REPLAY_OPEN_JOBS_PER_OPERATOR: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(defaultAdminSettings.openReplayJobsPerOperator),
  ADMIN_DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(defaultAdminSettings.databasePoolSize),
  ADMIN_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(defaultAdminSettings.statementTimeoutMs),
  RABBITMQ_MANAGEMENT_URL: z.string().url().default(defaultAdminSettings.managementUrl),
  TRACE_URL_TEMPLATE: z
    .string()
    .refine((t) => t === '' || (t.includes('{traceId}') && /^https?:\/\//.test(t)), {
      message:
        'must be an http(s) URL containing {traceId} (e.g. http://localhost:16686/trace/{traceId}), or empty',
    })
    .default(defaultAdminSettings.traceUrlTemplate),
  ADMIN_LIVE_STREAMS_PER_SESSION: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(defaultAdminSettings.liveStreamsPerSession),
  ADMIN_LIVE_HEARTBEAT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .default(defaultAdminSettings.liveHeartbeatMs / 1_000),
  API_TOKEN_DEFAULT_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_650)
    .default(defaultAdminSettings.apiTokenDefaultDays),
  API_TOKEN_MAX_DAYS: z.coerce.number().int().min(1).max(3_650).default(defaultAdminSettings.apiTokenMaxDays),
});

/** Rules between variables, checked once each is valid on its own. */
const CheckedEnv = HttpEnv.refine((e) => e.API_TOKEN_DEFAULT_DAYS <= e.API_TOKEN_MAX_DAYS, {
  path: ['API_TOKEN_DEFAULT_DAYS'],
  message: 'must not exceed API_TOKEN_MAX_DAYS',
});

/** The saga and outbox settings, parsed from STEP_* / TIMEOUT_* / OUTBOX_* variables. */
export interface SagaSettings {
  readonly stepTimeoutMs: number;
  readonly maxSends: number;
  readonly timeoutScanIntervalMs: number;
  /**
   * How long after its last send a step's deadline is held (not resent, not timed out) while its
   * command's queue or the replies queue holds ready messages; 0 turns holding off.
   */
  readonly stepHoldMaxMs?: number;
  readonly outboxBatchSize: number;
  readonly outboxLanes: number;
  readonly outboxPollMs: number;
  /** How long directly dispatched outbox rows stay hidden from the relay. */
  readonly dispatchGraceMs: number;
  /** Fault injection: the relay publishes every message twice. */
  readonly duplicatePublishes?: boolean;
  /** When to vacuum the tables that churn: `auto` where autovacuum is off, `on`, `off`. */
  readonly tableMaintenance?: 'auto' | 'on' | 'off';
  /** How long a product's price read for a checkout is reused; 0 reads it for every checkout. */
  readonly catalogueCacheMs?: number;
  /** New checkouts get 503 while the oldest outbox row is older than this; 0 turns it off. */
  readonly outboxMaxAgeSeconds?: number;
  /** The projection runners (order history); absent or `enabled: false` = this process runs none. */
  readonly projections?: {
    readonly enabled: boolean;
    readonly batchSize: number;
    /** How long a batch's first event waits for more (PROJECTION_LINGER_MS). */
    readonly lingerMs: number;
    readonly leaseMs: number;
    readonly onUnappliable: 'continue' | 'stop';
    readonly lagSampleMs: number;
  };
  /** Pruning of old rows (see retention/runner.ts); absent or interval 0 = off. */
  readonly retention?: {
    readonly intervalMs: number;
    readonly batchSize: number;
    readonly ages: RetentionAges;
  };
}

export interface OrchestratorConfig {
  readonly port: number;
  readonly host: string;
  /** Where /metrics (and /healthz, /readyz) are served, apart from the public port; port 0 = any free port. */
  readonly metrics: { readonly host: string; readonly port: number; readonly sampleIntervalMs: number };
  readonly logLevel: z.infer<typeof HttpEnv>['LOG_LEVEL'];
  readonly database: DbConfig;
  readonly broker: BrokerConfig;
  readonly saga: SagaSettings;
  readonly admin: AdminSettings;
}

/** Parses every variable the orchestrator reads; the error names each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): OrchestratorConfig {
  const problems: string[] = [];
  const http = CheckedEnv.safeParse(env);
  if (!http.success) problems.push(...http.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const database = attempt(() => loadDbConfig(env));
  const broker = attempt(() => loadBrokerConfig(env));
  if (!http.success || !database || !broker) {
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = http.data;
  return {
    port: e.PORT,
    host: e.HOST,
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT, sampleIntervalMs: e.METRICS_SAMPLE_INTERVAL_MS },
    logLevel: e.LOG_LEVEL,
    database,
    broker,
    saga: {
      stepTimeoutMs: e.STEP_TIMEOUT_MS,
      maxSends: e.STEP_MAX_SENDS,
      timeoutScanIntervalMs: e.TIMEOUT_SCAN_INTERVAL_MS,
      stepHoldMaxMs: e.STEP_HOLD_MAX_MS,
      outboxBatchSize: e.OUTBOX_BATCH_SIZE,
      outboxLanes: e.OUTBOX_LANES,
      outboxPollMs: e.OUTBOX_POLL_MS,
      dispatchGraceMs: e.OUTBOX_DISPATCH_GRACE_MS,
      tableMaintenance: e.TABLE_MAINTENANCE,
      catalogueCacheMs: e.CATALOGUE_CACHE_MS,
      outboxMaxAgeSeconds: e.OUTBOX_MAX_AGE_SECONDS,
      projections: {
        enabled: e.PROJECTIONS === 'on',
        batchSize: e.PROJECTION_BATCH_SIZE,
        lingerMs: e.PROJECTION_LINGER_MS,
        leaseMs: e.PROJECTION_LEASE_SECONDS * 1000,
        onUnappliable: e.PROJECTION_ON_UNAPPLIABLE,
        lagSampleMs: e.PROJECTION_LAG_SAMPLE_MS,
      },
      retention: {
        intervalMs: e.RETENTION_INTERVAL_SECONDS * 1000,
        batchSize: e.RETENTION_BATCH_SIZE,
        ages: {
          sagaEventsDays: e.RETENTION_SAGA_EVENTS_DAYS,
          inboxDays: e.RETENTION_INBOX_DAYS,
          deadLettersDays: e.RETENTION_DEAD_LETTERS_DAYS,
          retriesDays: e.RETENTION_RETRIES_DAYS,
          auditDays: e.RETENTION_AUDIT_DAYS,
          replayJobsDays: e.RETENTION_REPLAY_JOBS_DAYS,
          sessionsDays: e.RETENTION_SESSIONS_DAYS,
        },
      },
      duplicatePublishes: e.FAULT_DUPLICATE_PUBLISHES === '1' || e.FAULT_DUPLICATE_PUBLISHES === 'true',
    },
    admin: {
      bootstrapEmail: e.ADMIN_EMAIL,
      ...(e.ADMIN_PASSWORD ? { bootstrapPassword: e.ADMIN_PASSWORD } : {}),
      sessionTtlHours: e.SESSION_TTL_HOURS,
      sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
      loginAttemptsPerAccount: e.LOGIN_ATTEMPTS_PER_15_MIN,
      loginAttemptsPerAddress: e.LOGIN_ATTEMPTS_PER_ADDRESS_PER_15_MIN,
      trustedProxies: e.TRUST_PROXY,
      replayRatePerSecond: e.REPLAY_RATE_PER_SECOND,
      replayBudgetPerSecond: e.REPLAY_BUDGET_PER_SECOND,
      replayJobConcurrency: e.REPLAY_JOB_CONCURRENCY,
      openReplayJobsPerOperator: e.REPLAY_OPEN_JOBS_PER_OPERATOR,
      databasePoolSize: e.ADMIN_DATABASE_POOL_SIZE,
      statementTimeoutMs: e.ADMIN_STATEMENT_TIMEOUT_MS,
      managementUrl: e.RABBITMQ_MANAGEMENT_URL,
      traceUrlTemplate: e.TRACE_URL_TEMPLATE,
      apiTokenDefaultDays: e.API_TOKEN_DEFAULT_DAYS,
      apiTokenMaxDays: e.API_TOKEN_MAX_DAYS,
      liveStreamsPerSession: e.ADMIN_LIVE_STREAMS_PER_SESSION,
      liveHeartbeatMs: e.ADMIN_LIVE_HEARTBEAT_SECONDS * 1_000,
      liveStreamMaxMs: defaultAdminSettings.liveStreamMaxMs,
    },
  };
}
