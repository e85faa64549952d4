// Every exchange, queue and binding of Sagaport, declared idempotently from one description.
import type { Channel } from 'amqplib';
import { commandContracts, Worker, workerOf, type CommandType } from './contracts/commands.js';
import { eventContracts, inventoryOrderEventTypes } from './contracts/events.js';
import { replyContracts } from './contracts/replies.js';

/** A retry tier: a delay queue whose expired messages go back to the queue they came from. */
export interface RetryTier {
  /** One word (no dots), used in queue names and routing keys: `1s`, `5s`, `2m`. */
  readonly name: string;
  readonly delayMs: number;
}

export interface TopologyOptions {
  /** Prefix for every name; tests use `test-<uuid>.` to isolate themselves. */
  readonly prefix?: string;
  readonly retryTiers?: readonly RetryTier[];
  /** Quorum queue `x-delivery-limit`: redeliveries before the broker dead-letters a crash-looping message. */
  readonly deliveryLimit?: number;
}

export const defaultRetryTiers: readonly RetryTier[] = [
  { name: '1s', delayMs: 1_000 },
  { name: '5s', delayMs: 5_000 },
  { name: '30s', delayMs: 30_000 },
  { name: '2m', delayMs: 120_000 },
];
export const defaultDeliveryLimit = 5;

export interface ExchangeDeclaration {
  readonly name: string;
  readonly type: 'direct' | 'topic' | 'fanout';
  readonly arguments: Record<string, unknown>;
}
export interface QueueDeclaration {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}
export interface BindingDeclaration {
  readonly exchange: string;
  readonly queue: string;
  readonly routingKey: string;
}

export interface Topology {
  readonly prefix: string;
  readonly exchanges: {
    readonly commands: string;
    readonly replies: string;
    readonly retry: string;
    readonly retryReturn: string;
    readonly deadLetters: string;
    readonly events: string;
  };
  readonly queues: {
    readonly commands: Readonly<Record<Worker, string>>;
    readonly replies: string;
    readonly events: string;
    /** Order events the inventory consumes to commit or release its holds. */
    readonly inventoryOrderEvents: string;
    readonly retry: Readonly<Record<string, string>>;
    /** Dead-letter queue of each work queue, keyed by the work queue's name. */
    readonly deadLetters: Readonly<Record<string, string>>;
    /** A copy of every retry a consumer schedules, so the saga timeline can show retries. */
    readonly retryLog: string;
  };
  readonly retryTiers: readonly RetryTier[];
  readonly declarations: {
    readonly exchanges: readonly ExchangeDeclaration[];
    readonly queues: readonly QueueDeclaration[];
    readonly bindings: readonly BindingDeclaration[];
  };
}

const quorum = { 'x-queue-type': 'quorum' };

/** A work queue: quorum, crash-loop guard, at-least-once dead-lettering into its DLQ. */
function workQueueArguments(deadLetterExchange: string, queue: string, deliveryLimit: number) {
  return {
    ...quorum,
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': deadLetterExchange,
    'x-dead-letter-routing-key': queue,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** Builds the full description of the topology; pure, so definitions.json is generated from it. */
export function buildTopology(options: TopologyOptions = {}): Topology {
  const prefix = options.prefix ?? '';
  const tiers = options.retryTiers ?? defaultRetryTiers;
  const deliveryLimit = options.deliveryLimit ?? defaultDeliveryLimit;
  for (const tier of tiers) {
    if (!/^[A-Za-z0-9_-]+$/.test(tier.name))
      throw new Error(`retry tier name "${tier.name}" must be one word`);
  }
  const n = (name: string) => `${prefix}${name}`;
  const exchanges = {
    commands: n('sagaport.commands'),
    replies: n('sagaport.replies'),
    retry: n('sagaport.retry'),
    retryReturn: n('sagaport.retry.return'),
    deadLetters: n('sagaport.dead-letters'),
    events: n('sagaport.events'),
  };
  const commandQueues = Object.fromEntries(
    Object.values(Worker).map((w) => [w, n(`${w}.commands`)]),
  ) as Record<Worker, string>;
  const repliesQueue = n('orchestrator.replies');
  const inventoryOrderEvents = n('inventory.order-events');
  const workQueues = [...Object.values(commandQueues), repliesQueue, inventoryOrderEvents];
  const retryQueues = Object.fromEntries(tiers.map((t) => [t.name, n(`sagaport.retry.${t.name}`)]));
  const deadLetterQueues = Object.fromEntries(workQueues.map((q) => [q, `${q}.dlq`]));
  const eventsQueue = n('sagaport.events');
  const retryLogQueue = n('sagaport.retry-log');

  const exchangeDeclarations: ExchangeDeclaration[] = [
    { name: exchanges.commands, type: 'direct', arguments: {} },
    { name: exchanges.replies, type: 'direct', arguments: {} },
    { name: exchanges.retry, type: 'topic', arguments: {} },
    { name: exchanges.retryReturn, type: 'topic', arguments: {} },
    { name: exchanges.deadLetters, type: 'direct', arguments: {} },
    { name: exchanges.events, type: 'topic', arguments: {} },
  ];
  const queueDeclarations: QueueDeclaration[] = [
    ...workQueues.map((q) => ({
      name: q,
      arguments: workQueueArguments(exchanges.deadLetters, q, deliveryLimit),
    })),
    ...workQueues.map((q) => ({ name: `${q}.dlq`, arguments: { ...quorum } })),
    // A retry tier expires messages into the return exchange with their original routing key
    // `<tier>.<queue>`; the per-message expiration carries the jittered delay, the queue TTL caps it.
    ...tiers.map((t) => ({
      name: retryQueues[t.name]!,
      arguments: {
        ...quorum,
        'x-message-ttl': Math.ceil(t.delayMs * 1.5),
        'x-dead-letter-exchange': exchanges.retryReturn,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    })),
    { name: eventsQueue, arguments: { 'x-queue-type': 'stream', 'x-max-age': '7D' } },
    // Observability only: bounded, the oldest entries go first if the archiver falls far behind.
    { name: retryLogQueue, arguments: { ...quorum, 'x-max-length': 100_000, 'x-overflow': 'drop-head' } },
  ];
  const bindings: BindingDeclaration[] = [
    ...(Object.keys(commandContracts) as CommandType[]).map((type) => ({
      exchange: exchanges.commands,
      queue: commandQueues[workerOf(type)],
      routingKey: type,
    })),
    ...Object.keys(replyContracts).map((type) => ({
      exchange: exchanges.replies,
      queue: repliesQueue,
      routingKey: type,
    })),
    ...tiers.map((t) => ({
      exchange: exchanges.retry,
      queue: retryQueues[t.name]!,
      routingKey: `${t.name}.#`,
    })),
    { exchange: exchanges.retry, queue: retryLogQueue, routingKey: '#' },
    ...workQueues.map((q) => ({ exchange: exchanges.retryReturn, queue: q, routingKey: `*.${q}` })),
    ...workQueues.map((q) => ({ exchange: exchanges.deadLetters, queue: `${q}.dlq`, routingKey: q })),
    { exchange: exchanges.events, queue: eventsQueue, routingKey: '#' },
    ...inventoryOrderEventTypes.map((type) => ({
      exchange: exchanges.events,
      queue: inventoryOrderEvents,
      routingKey: type,
    })),
  ];
  return {
    prefix,
    exchanges,
    queues: {
      commands: commandQueues,
      replies: repliesQueue,
      events: eventsQueue,
      inventoryOrderEvents,
      retry: retryQueues,
      deadLetters: deadLetterQueues,
      retryLog: retryLogQueue,
    },
    retryTiers: tiers,
    declarations: { exchanges: exchangeDeclarations, queues: queueDeclarations, bindings },
  };
}

/** Declares every exchange, queue and binding; safe to run any number of times. */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  const { exchanges, queues, bindings } = topology.declarations;
  for (const e of exchanges) {
    await channel.assertExchange(e.name, e.type, { durable: true, arguments: e.arguments });
  }
  for (const q of queues) {
    await channel.assertQueue(q.name, { durable: true, arguments: q.arguments });
  }
  for (const b of bindings) {
    await channel.bindQueue(b.queue, b.exchange, b.routingKey);
  }
}

/** Deletes every exchange and queue of a topology (tests clean up their prefixed copies with it). */
export async function deleteTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const q of topology.declarations.queues) await channel.deleteQueue(q.name);
  for (const e of topology.declarations.exchanges) await channel.deleteExchange(e.name);
}

/** The exchange and routing key a command, reply or event is published with. */
export function routeOf(topology: Topology, type: string): { exchange: string; routingKey: string } {
  if (type in commandContracts) return { exchange: topology.exchanges.commands, routingKey: type };
  if (type in replyContracts) return { exchange: topology.exchanges.replies, routingKey: type };
  if (type in eventContracts) return { exchange: topology.exchanges.events, routingKey: type };
  throw new Error(`no route for message type "${type}"`);
}
