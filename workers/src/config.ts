// Worker process configuration, parsed once from the environment with zod; database and broker settings come from their packages.
import { loadDbConfig, type DbConfig } from '@sagaport/db';
import { loadBrokerConfig, type BrokerConfig } from '@sagaport/rabbitmq';
import { z } from 'zod';

/** Countries shipping serves unless SHIPPING_COUNTRIES says otherwise (the EU core; `US` and the rest are refused). */
export const defaultShippingCountries: readonly string[] = [
  'DE',
  'FR',
  'NL',
  'BE',
  'AT',
  'IT',
  'ES',
  'PL',
  'SE',
  'DK',
  'FI',
  'IE',
  'PT',
  'CZ',
  'LU',
];

/** Domain settings of the workers; tests pass their own. */
export interface WorkerSettings {
  /** How long a stock hold lasts before the sweeper releases it. */
  readonly reservationTtlSeconds: number;
  /** How often the inventory sweeper looks for expired holds. */
  readonly sweepIntervalMs: number;
  /** How long the simulated provider takes for `tok_slow`. */
  readonly paymentSlowMs: number;
  /** ISO 3166-1 alpha-2 codes shipping delivers to. */
  readonly shippingCountries: readonly string[];
  /** How long after it is scheduled a shipment leaves; an order cancellation is refused from then on. */
  readonly shippingDispatchDelayMs: number;
  /**
   * Whether the order, inventory and shipping workers of one process commit their batches in
   * shared transactions (CommandRounds); false gives each worker transactions of its own.
   */
  readonly sharedRounds: boolean;
}

export const defaultWorkerSettings: WorkerSettings = {
  reservationTtlSeconds: 900,
  sweepIntervalMs: 10_000,
  paymentSlowMs: 2_000,
  shippingCountries: defaultShippingCountries,
  shippingDispatchDelayMs: 24 * 3_600_000,
  sharedRounds: true,
};

const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);
const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(fallback));
const flag = (fallback: boolean) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  );

const WorkerEnv = z.object({
  METRICS_PORT: integer(0, 65_535, 0),
  METRICS_HOST: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
  /** The older name of METRICS_HOST, still read. */
  HOST: z.preprocess(unsetIfEmpty, z.string().min(1).default('127.0.0.1')),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  RESERVATION_TTL_SECONDS: integer(1, 7 * 24 * 3600, defaultWorkerSettings.reservationTtlSeconds),
  RESERVATION_SWEEP_INTERVAL_MS: integer(100, 3_600_000, defaultWorkerSettings.sweepIntervalMs),
  PAYMENT_SLOW_MS: integer(0, 600_000, defaultWorkerSettings.paymentSlowMs),
  SHIPPING_COUNTRIES: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(defaultShippingCountries.join(','))
      .transform((text) => text.split(',').map((c) => c.trim().toUpperCase()))
      .pipe(z.array(z.string().regex(/^[A-Z]{2}$/, 'a comma-separated list of ISO 3166-1 alpha-2 codes'))),
  ),
  SHIPPING_DISPATCH_DELAY_MS: integer(0, 30 * 86_400_000, defaultWorkerSettings.shippingDispatchDelayMs),
  WORKER_SHARED_ROUNDS: flag(defaultWorkerSettings.sharedRounds),
  SEED_CATALOGUE: flag(true),
  OUTBOX_DISPATCH_GRACE_MS: integer(0, 600_000, 5_000),
  FAULT_DUPLICATE_PUBLISHES: flag(false),
  FAULT_CRASH_ON_BODY: z.string().min(3).optional(),
  FAULT_CRASH_AFTER_COMMIT: z.string().min(1).optional(),
});

export type LogLevel = z.infer<typeof WorkerEnv>['LOG_LEVEL'];

export interface WorkerConfig {
  /** Port of /healthz, /readyz and /metrics; 0 binds any free port (several workers on one host). */
  readonly metricsPort: number;
  /** Address of /healthz, /readyz and /metrics (METRICS_HOST, else HOST): loopback unless set. */
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly settings: WorkerSettings;
  /** Whether the inventory worker fills an empty catalogue with the demo products. */
  readonly seedCatalogue: boolean;
  /** Replies are published right after each commit, hidden from relays this long; 0 leaves them to the relay. */
  readonly dispatchGraceMs: number;
  /** Fault injection: dispatched replies are published twice. */
  readonly duplicatePublishes: boolean;
  /** Fault injection: the process exits at once when a delivery's body contains this text. */
  readonly crashOnBody?: string;
  /** Fault injection: a marker file; see StartWorkersOptions.crashAfterCommit. */
  readonly crashAfterCommit?: string;
  readonly database: DbConfig;
  readonly broker: BrokerConfig;
}

/** Parses every variable a worker process reads; the error names each bad variable. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const problems: string[] = [];
  const parsed = WorkerEnv.safeParse(env);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
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
  if (!parsed.success || !database || !broker) {
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    metricsPort: e.METRICS_PORT,
    host: e.METRICS_HOST ?? e.HOST,
    logLevel: e.LOG_LEVEL,
    settings: {
      reservationTtlSeconds: e.RESERVATION_TTL_SECONDS,
      sweepIntervalMs: e.RESERVATION_SWEEP_INTERVAL_MS,
      paymentSlowMs: e.PAYMENT_SLOW_MS,
      shippingCountries: e.SHIPPING_COUNTRIES,
      shippingDispatchDelayMs: e.SHIPPING_DISPATCH_DELAY_MS,
      sharedRounds: e.WORKER_SHARED_ROUNDS,
    },
    seedCatalogue: e.SEED_CATALOGUE,
    dispatchGraceMs: e.OUTBOX_DISPATCH_GRACE_MS,
    duplicatePublishes: e.FAULT_DUPLICATE_PUBLISHES,
    ...(e.FAULT_CRASH_ON_BODY ? { crashOnBody: e.FAULT_CRASH_ON_BODY } : {}),
    ...(e.FAULT_CRASH_AFTER_COMMIT ? { crashAfterCommit: e.FAULT_CRASH_AFTER_COMMIT } : {}),
    database,
    broker,
  };
}
