// Broker configuration, parsed once from the environment with zod.
import { defaultCrashLimit } from './suspects.js';
import { z } from 'zod';
import type { RetryTier } from './topology.js';

const durationPattern = /^(\d+)(ms|s|m|h)$/;
const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `RETRY_TIERS` such as `1s,5s,30s,2m` into tiers named after their delay. */
export function parseRetryTiers(text: string): RetryTier[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((name) => {
      const match = durationPattern.exec(name);
      if (!match) throw new Error(`"${name}" is not a duration such as 500ms, 5s, 2m or 1h`);
      return { name, delayMs: Number(match[1]) * unitMs[match[2] as keyof typeof unitMs] };
    });
}

/** The node URLs of AMQP_URL: one, or several separated by commas (a cluster's nodes, tried in turn). */
export function brokerUrls(text: string): string[] {
  return text
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

/**
 * The largest message body (AMQP_MAX_MESSAGE_BYTES) by default: 4 MiB, far above any saga
 * message and above the largest body the admin API takes (1 MiB), far below RabbitMQ's 128 MiB.
 * The project's rabbitmq.conf sets the broker's `max_message_size` to the same value.
 */
export const defaultMaxMessageBytes = 4 * 1024 * 1024;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const BrokerEnv = z.object({
  AMQP_URL: z
    .string()
    .refine(
      (text) => brokerUrls(text).every((url) => /^amqps?:\/\/[^,\s]+$/.test(url)),
      'must be an amqp:// or amqps:// URL, or several separated by commas (the nodes of a cluster)',
    )
    .default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_PREFETCH: positiveInt(50),
  AMQP_PUBLISH_TIMEOUT_MS: positiveInt(10_000),
  AMQP_MAX_IN_FLIGHT: positiveInt(1_000),
  AMQP_MAX_MESSAGE_BYTES: positiveInt(defaultMaxMessageBytes),
  AMQP_DELIVERY_LIMIT: positiveInt(5),
  AMQP_CRASH_LIMIT: z.coerce.number().int().min(1).optional(),
  RETRY_TIERS: z
    .string()
    .default('1s,5s,30s,2m')
    .transform((text, ctx) => {
      try {
        const tiers = parseRetryTiers(text);
        if (tiers.length === 0) throw new Error('at least one tier is needed');
        return tiers;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  RETRY_MAX_ATTEMPTS: positiveInt(5),
  TOPOLOGY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only')
    .default(''),
});

export interface BrokerConfig {
  readonly url: string;
  readonly prefetch: number;
  readonly publishTimeoutMs: number;
  readonly maxInFlight: number;
  /** The largest message body published or consumed; RabbitMQ's `max_message_size` matches it. */
  readonly maxMessageBytes: number;
  readonly deliveryLimit: number;
  /**
   * Deaths of a process while it ran a redelivered message alone before that message is
   * dead-lettered (`AMQP_CRASH_LIMIT`, 2 by default and always below the delivery limit, so the
   * suspect lane decides before the broker's crash-loop guard does).
   */
  readonly crashLimit: number;
  readonly retryTiers: readonly RetryTier[];
  readonly maxAttempts: number;
  /** Prefix of every exchange and queue name (isolates test runs or tenants on one vhost). */
  readonly topologyPrefix: string;
}

/** Reads the broker settings; throws an Error naming every bad variable. */
export function loadBrokerConfig(env: Record<string, string | undefined> = process.env): BrokerConfig {
  const parsed = BrokerEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid broker configuration: ${problems}`);
  }
  const e = parsed.data;
  const crashLimit =
    e.AMQP_CRASH_LIMIT ?? Math.max(1, Math.min(defaultCrashLimit, e.AMQP_DELIVERY_LIMIT - 1));
  if (e.AMQP_CRASH_LIMIT !== undefined && e.AMQP_DELIVERY_LIMIT > 1 && crashLimit >= e.AMQP_DELIVERY_LIMIT) {
    throw new Error(
      `invalid broker configuration: AMQP_CRASH_LIMIT: must be below AMQP_DELIVERY_LIMIT (${e.AMQP_DELIVERY_LIMIT}), or the broker dead-letters a crash-looping message and its neighbours before the suspect lane can tell them apart`,
    );
  }
  return {
    url: e.AMQP_URL,
    prefetch: e.AMQP_PREFETCH,
    publishTimeoutMs: e.AMQP_PUBLISH_TIMEOUT_MS,
    maxInFlight: e.AMQP_MAX_IN_FLIGHT,
    maxMessageBytes: e.AMQP_MAX_MESSAGE_BYTES,
    deliveryLimit: e.AMQP_DELIVERY_LIMIT,
    crashLimit,
    retryTiers: e.RETRY_TIERS,
    maxAttempts: e.RETRY_MAX_ATTEMPTS,
    topologyPrefix: e.TOPOLOGY_PREFIX,
  };
}
