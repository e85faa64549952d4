// Reading the RabbitMQ event stream: a delivery's offset and event, and where the stream ends.
import {
  EventHeader,
  readEvent,
  unpackEvents,
  type StreamRawEvent,
  type AmqpConnectionManager,
  type DomainEvent,
  type RawEvent,
} from '@sagaport/rabbitmq';
import type { Channel, ConsumeMessage } from 'amqplib';

/** The header RabbitMQ puts on every delivery of a stream: the message's offset. */
export const STREAM_OFFSET_HEADER = 'x-stream-offset';

/** The offset of a stream delivery. */
export function offsetOf(message: ConsumeMessage): number {
  const value = (message.properties.headers ?? {})[STREAM_OFFSET_HEADER] as unknown;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`a stream delivery without ${STREAM_OFFSET_HEADER}`);
}

/** The events a delivery carries, in order (one, or a batch's); see `unpackEvents`. */
export function eventsOf(message: ConsumeMessage): StreamRawEvent[] {
  return unpackEvents(message);
}

/**
 * Reads a stored or delivered event; a body that is not JSON, or an event that could not be
 * taken out of its batch, breaks its contract like any other fault.
 */
export function readRawEvent(raw: RawEvent & { bodyText: string; fault?: string }): DomainEvent {
  if (raw.fault !== undefined) throw new Error(raw.fault);
  if (raw.body === undefined) throw new Error(`body of ${String(raw.type)} is not valid JSON`);
  return readEvent(raw);
}

/** An event of a delivery, read: its event, or why it cannot be read. */
export type ReadStreamEvent =
  | { readonly index: number; readonly raw: StreamRawEvent; readonly event: DomainEvent }
  | { readonly index: number; readonly raw: StreamRawEvent; readonly error: string };

const readDeliveries = new WeakMap<ConsumeMessage, readonly ReadStreamEvent[]>();

/**
 * The events of a delivery, each read (see {@link readRawEvent}). A delivery shared by several
 * projections (one stream reader per process) is unpacked and checked once: the result is kept
 * with the message, which is released when the last subscriber drops it. Callers must not
 * change the events.
 */
export function readEventsOf(message: ConsumeMessage): readonly ReadStreamEvent[] {
  let read = readDeliveries.get(message);
  if (!read) {
    read = eventsOf(message).map((raw, index): ReadStreamEvent => {
      try {
        return { index, raw, event: readRawEvent(raw) };
      } catch (cause) {
        return { index, raw, error: (cause as Error).message };
      }
    });
    readDeliveries.set(message, read);
  }
  return read;
}

/** The time of a delivery: its event's `x-occurred-at`, else the AMQP timestamp. */
export function timeOf(message: ConsumeMessage): Date | null {
  const occurred = (message.properties.headers ?? {})[EventHeader.occurredAt] as unknown;
  if (typeof occurred === 'string' && !Number.isNaN(Date.parse(occurred))) return new Date(occurred);
  const stamp = message.properties.timestamp as unknown;
  return typeof stamp === 'number' ? new Date(stamp) : null;
}

/** The last message of a stream: its offset and time. */
export interface StreamTail {
  readonly offset: number;
  readonly at: Date | null;
}

/**
 * Finds the end of `queue` (a stream): consumes from its last chunk (`x-stream-offset: last`)
 * and returns the highest offset delivered, or null for an empty stream. It stops when no
 * delivery came for `idleMs`, or `settleMs` after the first delivery: under load new messages
 * arrive all the time, and a probe that waited for a pause would read the live stream for
 * `maxMs` (a lag sample every few seconds then cost as many deliveries as the projections'
 * own reading). So the answer can miss what was published in its last `settleMs`, which a lag
 * reading or a rebuild's target can afford. Callers that ask at the same time with the same
 * options (one lag sample per projection) share one probe. Costs one short-lived channel and a
 * few deliveries; with the broker away it fails after `maxMs`.
 */
export function streamTail(
  connection: AmqpConnectionManager,
  queue: string,
  options: { idleMs?: number; settleMs?: number; maxMs?: number } = {},
): Promise<StreamTail | null> {
  let probes = tailProbes.get(connection);
  if (!probes) tailProbes.set(connection, (probes = new Map<string, Promise<StreamTail | null>>()));
  const key = `${queue}\u0000${options.idleMs ?? ''}/${options.settleMs ?? ''}/${options.maxMs ?? ''}`;
  const running = probes.get(key);
  if (running) return running;
  const probe = probeTail(connection, queue, options).finally(() => probes.delete(key));
  probes.set(key, probe);
  return probe;
}

/** The probes under way, by connection and stream. */
const tailProbes = new WeakMap<AmqpConnectionManager, Map<string, Promise<StreamTail | null>>>();

async function probeTail(
  connection: AmqpConnectionManager,
  queue: string,
  options: { idleMs?: number; settleMs?: number; maxMs?: number },
): Promise<StreamTail | null> {
  const idleMs = options.idleMs ?? 150;
  const settleMs = options.settleMs ?? 50;
  const maxMs = options.maxMs ?? 3_000;
  let tail: StreamTail | null = null;
  let first: number | undefined;
  let last = Date.now();
  let raw: Channel | undefined;
  const wrapper = connection.createChannel({
    json: false,
    setup: async (channel: Channel) => {
      raw = channel;
      await channel.prefetch(2_000);
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          last = Date.now();
          first ??= last;
          const offset = offsetOf(message);
          if (!tail || offset > tail.offset) tail = { offset, at: timeOf(message) };
          channel.ack(message);
        },
        { arguments: { [STREAM_OFFSET_HEADER]: 'last' } },
      );
    },
  });
  // A missing stream (or any channel error) fails the probe instead of the process.
  let failure: Error | undefined;
  let failed: (() => void) | undefined;
  wrapper.on('error', (error: Error) => {
    failure ??= error;
    failed?.();
  });
  let connectTimer: NodeJS.Timeout | undefined;
  try {
    // Bounded like the reading: while the broker is away, a lag sample fails instead of waiting.
    await Promise.race([
      wrapper.waitForConnect(),
      new Promise<void>((resolve) => {
        failed = resolve;
      }),
      new Promise<void>((resolve) => {
        connectTimer = setTimeout(() => {
          failure ??= new Error(`no channel within ${maxMs} ms`);
          resolve();
        }, maxMs);
      }),
    ]);
    clearTimeout(connectTimer);
    const started = Date.now();
    last = Date.now();
    const done = () =>
      Date.now() - last >= idleMs ||
      (first !== undefined && Date.now() - first >= settleMs) ||
      Date.now() - started >= maxMs;
    while (!failure && !done()) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (failure) throw new Error(`cannot read the end of stream ${queue}: ${failure.message}`);
    return tail;
  } finally {
    clearTimeout(connectTimer);
    void raw;
    await wrapper.close().catch(() => undefined);
  }
}
