// Orchestrator configuration: HTTP settings here, database and broker settings from their packages.
import { loadDbConfig, type DbConfig } from '@sagaport/db';
import { loadBrokerConfig, type BrokerConfig } from '@sagaport/rabbitmq';
import { z } from 'zod';
import { defaultAdminSettings, type AdminSettings } from './admin/settings.js';

const HttpEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STEP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  STEP_MAX_SENDS: z.coerce.number().int().min(1).max(100).default(3),
  TIMEOUT_SCAN_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(200),
  OUTBOX_LANES: z.coerce.number().int().min(1).max(16).default(2),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  OUTBOX_DISPATCH_GRACE_MS: z.coerce.number().int().min(100).default(5_000),
  FAULT_DUPLICATE_PUBLISHES: z.enum(['0', '1', 'false', 'true']).default('0'),
  TABLE_MAINTENANCE: z.enum(['auto', 'on', 'off']).default('auto'),
  ADMIN_EMAIL: z.string().email().default(defaultAdminSettings.bootstrapEmail),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(defaultAdminSettings.sessionTtlHours),
  LOGIN_ATTEMPTS_PER_15_MIN: z.coerce
    .number()
    .int()
    .positive()
    .default(defaultAdminSettings.loginAttemptsPer15Min),
  REPLAY_RATE_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(defaultAdminSettings.replayRatePerSecond),
  RABBITMQ_MANAGEMENT_URL: z.string().url().default(defaultAdminSettings.managementUrl),
});

/** The saga and outbox settings, parsed from STEP_* / TIMEOUT_* / OUTBOX_* variables. */
export interface SagaSettings {
  readonly stepTimeoutMs: number;
  readonly maxSends: number;
  readonly timeoutScanIntervalMs: number;
  readonly outboxBatchSize: number;
  readonly outboxLanes: number;
  readonly outboxPollMs: number;
  /** How long directly dispatched outbox rows stay hidden from the relay. */
  readonly dispatchGraceMs: number;
  /** Fault injection: the relay publishes every message twice. */
  readonly duplicatePublishes?: boolean;
  /** When to vacuum the tables that churn: `auto` where autovacuum is off, `on`, `off`. */
  readonly tableMaintenance?: 'auto' | 'on' | 'off';
}

export interface OrchestratorConfig {
  readonly port: number;
  readonly host: string;
  /** Where /metrics (and /healthz, /readyz) are served, apart from the public port; port 0 = any free port. */
  readonly metrics: { readonly host: string; readonly port: number };
  readonly logLevel: z.infer<typeof HttpEnv>['LOG_LEVEL'];
  readonly database: DbConfig;
  readonly broker: BrokerConfig;
  readonly saga: SagaSettings;
  readonly admin: AdminSettings;
}

/** Parses every variable the orchestrator reads; the error names each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): OrchestratorConfig {
  const problems: string[] = [];
  const http = HttpEnv.safeParse(env);
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
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    logLevel: e.LOG_LEVEL,
    database,
    broker,
    saga: {
      stepTimeoutMs: e.STEP_TIMEOUT_MS,
      maxSends: e.STEP_MAX_SENDS,
      timeoutScanIntervalMs: e.TIMEOUT_SCAN_INTERVAL_MS,
      outboxBatchSize: e.OUTBOX_BATCH_SIZE,
      outboxLanes: e.OUTBOX_LANES,
      outboxPollMs: e.OUTBOX_POLL_MS,
      dispatchGraceMs: e.OUTBOX_DISPATCH_GRACE_MS,
      tableMaintenance: e.TABLE_MAINTENANCE,
      duplicatePublishes: e.FAULT_DUPLICATE_PUBLISHES === '1' || e.FAULT_DUPLICATE_PUBLISHES === 'true',
    },
    admin: {
      bootstrapEmail: e.ADMIN_EMAIL,
      ...(e.ADMIN_PASSWORD ? { bootstrapPassword: e.ADMIN_PASSWORD } : {}),
      sessionTtlHours: e.SESSION_TTL_HOURS,
      loginAttemptsPer15Min: e.LOGIN_ATTEMPTS_PER_15_MIN,
      replayRatePerSecond: e.REPLAY_RATE_PER_SECOND,
      managementUrl: e.RABBITMQ_MANAGEMENT_URL,
    },
  };
}
