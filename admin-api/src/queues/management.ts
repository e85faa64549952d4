// A small client of the RabbitMQ management API: the depth, consumers and rates of a vhost's queues.
import { z } from 'zod';

const rate = z.object({ rate: z.number() }).optional();

/** One queue as `GET /api/queues/<vhost>` lists it (only the columns we ask for). */
const BrokerQueue = z.object({
  name: z.string(),
  type: z.string().optional(),
  messages: z.number().optional(),
  messages_ready: z.number().optional(),
  messages_unacknowledged: z.number().optional(),
  consumers: z.number().optional(),
  /** The timestamp property of the message at the head (management plugin ≥ 3.x; absent when empty). */
  head_message_timestamp: z.number().nullable().optional(),
  message_stats: z.object({ publish_details: rate, deliver_get_details: rate, ack_details: rate }).optional(),
});
export type BrokerQueue = z.infer<typeof BrokerQueue>;

const columns = [
  'name',
  'type',
  'messages',
  'messages_ready',
  'messages_unacknowledged',
  'consumers',
  'head_message_timestamp',
  'message_stats.publish_details.rate',
  'message_stats.deliver_get_details.rate',
  'message_stats.ack_details.rate',
].join(',');

/** The management API could not be asked; `message` says what to check. */
export class ManagementUnavailable extends Error {}

/** The URL without its user info, and a Basic authorization header made from it. */
export function splitCredentials(managementUrl: string): { base: string; authorization?: string } {
  const url = new URL(managementUrl);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/+$/, '');
  if (!user) return { base };
  return { base, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

const CHECK_PLUGIN =
  'check that RabbitMQ runs with the management plugin (rabbitmq-plugins enable rabbitmq_management) and that RABBITMQ_MANAGEMENT_URL points at it';

function unreachable(base: string, error: unknown, timeoutMs: number): ManagementUnavailable {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ManagementUnavailable(`${base} did not answer within ${timeoutMs / 1000} s; ${CHECK_PLUGIN}`);
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason =
    cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new ManagementUnavailable(`could not reach ${base} (${reason}); ${CHECK_PLUGIN}`);
}

function refused(base: string, status: number): ManagementUnavailable {
  if (status === 401 || status === 403) {
    return new ManagementUnavailable(
      `${base} refused the credentials (${status}); check the user and password in RABBITMQ_MANAGEMENT_URL and that the user has the monitoring or management tag`,
    );
  }
  return new ManagementUnavailable(`${base} answered ${status}; ${CHECK_PLUGIN}`);
}

/** The queues of `vhost`, by name; throws {@link ManagementUnavailable} with what to check. */
export async function fetchBrokerQueues(
  managementUrl: string,
  vhost: string,
  timeoutMs: number,
): Promise<Map<string, BrokerQueue>> {
  const { base, authorization } = splitCredentials(managementUrl);
  const url = `${base}/api/queues/${encodeURIComponent(vhost)}?columns=${columns}`;
  let body: unknown;
  try {
    const response = await fetch(url, {
      headers: authorization ? { authorization } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw refused(base, response.status);
    body = await response.json();
  } catch (error) {
    throw error instanceof ManagementUnavailable ? error : unreachable(base, error, timeoutMs);
  }
  const parsed = z.array(BrokerQueue).safeParse(body);
  if (!parsed.success) {
    throw new ManagementUnavailable(
      `${base} answered with something other than a queue list; ${CHECK_PLUGIN}`,
    );
  }
  return new Map(parsed.data.map((q) => [q.name, q]));
}
