// The broker connection: amqp-connection-manager reconnects; every channel of a process shares it.
import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import { brokerUrls } from './config.js';

export type { AmqpConnectionManager } from 'amqp-connection-manager';

export interface ConnectOptions {
  /** One node's URL, or several separated by commas: a lost connection fails over to the next. */
  readonly url: string;
  /** Shown in the management UI's connection list. */
  readonly connectionName: string;
  readonly heartbeatSeconds?: number;
  readonly reconnectSeconds?: number;
  /**
   * TCP_NODELAY (default true). Small frames go out at once: saga steps are latency-bound. Bulk
   * streams of publishes coalesce better with Nagle on (see `npm run bench:wire -- --nagle`).
   */
  readonly noDelay?: boolean;
}

/** Opens a self-healing connection; channels created on it re-run their setup after a reconnect. */
export function connectBroker(options: ConnectOptions): AmqpConnectionManager {
  return amqp.connect(brokerUrls(options.url), {
    heartbeatIntervalInSeconds: options.heartbeatSeconds ?? 5,
    reconnectTimeInSeconds: options.reconnectSeconds ?? 1,
    // TCP_NODELAY: without it Nagle's algorithm and delayed ACKs hold small frames (a confirm,
    // an ack, a one-message publish) for up to 40 ms — measured as ~60 ms per saga step.
    connectionOptions: {
      noDelay: options.noDelay ?? true,
      clientProperties: { connection_name: options.connectionName },
    },
  });
}

/** Resolves once the connection is up, or rejects after `timeoutMs` with the broker's last error. */
export async function waitForBroker(connection: AmqpConnectionManager, timeoutMs = 30_000): Promise<void> {
  if (connection.isConnected()) return;
  let lastError: unknown;
  const onFailed = ({ err }: { err: Error }) => {
    lastError = err;
  };
  connection.on('connectFailed', onFailed);
  try {
    await connection.connect({ timeout: timeoutMs });
  } catch (error) {
    const reason = lastError instanceof Error ? lastError.message : String(error);
    throw new Error(`RabbitMQ is not reachable (${reason}); run \`npm run services:up\` or check AMQP_URL`, {
      cause: error,
    });
  } finally {
    connection.off('connectFailed', onFailed);
  }
}
