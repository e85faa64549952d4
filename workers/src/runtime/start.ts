// Starts the selected workers in this process: one Consumer per queue, the inventory sweeper, metrics.
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DatabaseGate, postgresCrashLedger, type Database } from '@sagaport/db';
import { sql } from 'drizzle-orm';
import {
  commandContracts,
  ConfirmPublisher,
  Consumer,
  eventContracts,
  silentLogger,
  SuspectLane,
  workerOf,
  type AmqpConnectionManager,
  type BatchHandler,
  type CommandType,
  type ContractRegistry,
  type Logger,
  type PublisherOptions,
  type RetryPolicy,
  type Topology,
  type Worker,
} from '@sagaport/rabbitmq';
import { createConsumerMetrics, deliveryTracer, observePublisher } from '@sagaport/runtime';
import type postgres from 'postgres';
import { Counter, Registry } from 'prom-client';
import { defaultWorkerSettings, type WorkerSettings } from '../config.js';
import { inventoryHandlers } from '../inventory/handler.js';
import { createOrderEventHandler } from '../inventory/order-events.js';
import { startReservationSweeper, type Sweeper } from '../inventory/sweeper.js';
import { orderHandlers } from '../order/handler.js';
import { createPaymentProcessor } from '../payment/handler.js';
import { SimulatedPaymentProvider, type PaymentProvider } from '../payment/provider.js';
import { shippingHandlers } from '../shipping/handler.js';
import {
  createCommandBatchProcessor,
  type CommandBatchProcessor,
  type ConfirmedPublish,
} from './command-handler.js';
import { CommandRounds } from './command-rounds.js';
import { publishConfirmed } from './publish.js';
import { lockInventoryBatch } from '../inventory/handler.js';
import { workerNames } from '../selection.js';

export interface StartWorkersOptions {
  /** Which workers to run; all of them when omitted. */
  readonly workers?: readonly Worker[];
  readonly db: Database;
  /** The postgres.js client under `db`: command batches run on it. */
  readonly sql: postgres.Sql;
  readonly connection: AmqpConnectionManager;
  /** The (already declared) topology; tests pass a prefixed copy. */
  readonly topology: Topology;
  readonly retry: RetryPolicy;
  /** Unacknowledged deliveries per consumer (AMQP_PREFETCH). */
  readonly prefetch?: number;
  readonly settings?: Partial<WorkerSettings>;
  /** Where the metrics are registered; a private registry when omitted. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** The card payment provider; the simulated one when omitted. */
  readonly paymentProvider?: PaymentProvider;
  /** Options of the publisher that sends retries and dead letters. */
  readonly publisher?: PublisherOptions;
  /**
   * Publish replies and events right after each batch commits, and ack its commands once the
   * broker confirmed them (a redelivery re-publishes them from the inbox); when false, they go
   * through the outbox table and the orchestrator's relay publishes them.
   */
  readonly publishReplies?: boolean;
  /** Fault injection (FAULT_DUPLICATE_PUBLISHES): replies and events are published twice. */
  readonly duplicatePublishes?: boolean;
  /**
   * Fault injection (FAULT_CRASH_ON_BODY): the process exits when a delivery's body contains this
   * text, before handling it — a message that crashes its worker, for the delivery-limit tests.
   */
  readonly crashOnBody?: string;
  /**
   * Fault injection (FAULT_CRASH_AFTER_COMMIT): a marker file. The first command batch of
   * several commands to commit (its replies published and confirmed) creates the file and exits
   * the process before the batch is acked: the redelivered batch must change nothing twice.
   */
  readonly crashAfterCommit?: string;
  /**
   * Deaths of this process while it ran a redelivered message alone before that message is
   * dead-lettered as a crash loop (AMQP_CRASH_LIMIT; 2 by default). See SuspectLane.
   */
  readonly crashLimit?: number;
  /** Names this process in dead letters (`payment-worker@<instance>`); `<hostname>:<pid>` by default. */
  readonly instance?: string;
  /** How long to wait for every consumer to subscribe before giving up. */
  readonly subscribeTimeoutMs?: number;
}

/** Running workers. */
export interface WorkersHandle {
  readonly workers: readonly Worker[];
  readonly consumers: readonly Consumer[];
  /** Stops the sweeper and the consumers (in-flight deliveries finish, up to `timeoutMs`), then the publisher. */
  stop(timeoutMs?: number): Promise<void>;
}

interface Subscription {
  readonly name: string;
  readonly queue: string;
  readonly contracts: ContractRegistry;
  readonly handler: BatchHandler;
}

/**
 * Starts the selected workers on an open database and broker connection, resolving once every
 * consumer has subscribed. The caller keeps ownership of `db` and `connection`.
 */
export async function startWorkers(options: StartWorkersOptions): Promise<WorkersHandle> {
  const workers = options.workers ?? workerNames;
  const settings: WorkerSettings = { ...defaultWorkerSettings, ...options.settings };
  const log = options.logger ?? silentLogger;
  const registry = options.registry ?? new Registry();
  const metrics = createConsumerMetrics(registry);
  const reservationsExpired = new Counter({
    name: 'sagaport_reservations_expired_total',
    help: 'Stock holds released by the sweeper because they expired.',
    registers: [registry],
  });
  const instance = options.instance ?? `${hostname()}:${process.pid}`;
  const publisher = new ConfirmPublisher(options.connection, { name: 'workers', ...options.publisher });
  observePublisher(registry, publisher, 'workers');
  const publish: ConfirmedPublish | undefined = options.publishReplies
    ? publishConfirmed(publisher, options.topology, options.duplicatePublishes ?? false)
    : undefined;
  const provider =
    options.paymentProvider ?? new SimulatedPaymentProvider({ slowMs: settings.paymentSlowMs });

  // While PostgreSQL is down every handler fails the same way: hold deliveries at one gate
  // instead of spending their retry attempts (and filling the DLQs) on an outage.
  const gate = new DatabaseGate({
    probe: () => options.db.execute(sql`select 1`),
    onOutage: (state, downForMs) =>
      state === 'down'
        ? log.warn({}, 'PostgreSQL unreachable: holding deliveries until it answers')
        : log.info({ downForMs }, 'PostgreSQL is back: resuming deliveries'),
  });
  const rounds = settings.sharedRounds ? new CommandRounds(options.sql, publish) : undefined;
  // A redelivered command runs alone in the process, so a command that kills it is dead-lettered
  // with the reason and the commands that died with it complete.
  const suspects = new SuspectLane({
    ledger: postgresCrashLedger(options.sql),
    ...(options.crashLimit ? { crashLimit: options.crashLimit } : {}),
    logger: log,
  });
  const consumers = workers.flatMap((worker) =>
    subscriptionsOf(worker, { ...options, publish }, settings, provider, log, rounds).map(
      (subscription) =>
        new Consumer({
          connection: options.connection,
          topology: options.topology,
          queue: subscription.queue,
          contracts: subscription.contracts,
          batchHandler: options.crashOnBody
            ? crashingOn(options.crashOnBody, subscription.handler, log)
            : subscription.handler,
          onBatch: metrics.observeBatch(subscription.queue),
          publisher,
          retry: options.retry,
          consumerName: `${subscription.name}@${instance}`,
          prefetch: options.prefetch,
          onOutcome: metrics.observe(subscription.queue),
          tracer: deliveryTracer(subscription.queue),
          gate,
          suspects,
          logger: log,
        }),
    ),
  );
  const sweeper: Sweeper | undefined = workers.includes('inventory')
    ? startReservationSweeper({
        db: options.db,
        topology: options.topology,
        intervalMs: settings.sweepIntervalMs,
        logger: log,
        onReleased: (count) => reservationsExpired.inc(count),
      })
    : undefined;

  const stop = async (timeoutMs?: number) => {
    await sweeper?.stop();
    await Promise.all(consumers.map((consumer) => consumer.stop(timeoutMs)));
    await publisher.close();
  };
  try {
    await subscribed(consumers, options.subscribeTimeoutMs ?? 30_000);
  } catch (error) {
    await stop(1_000);
    throw error;
  }
  return { workers: [...workers], consumers, stop };
}

function subscriptionsOf(
  worker: Worker,
  options: StartWorkersOptions & { publish?: ConfirmedPublish | undefined },
  settings: WorkerSettings,
  provider: PaymentProvider,
  log: Logger,
  rounds: CommandRounds | undefined,
): Subscription[] {
  const { topology } = options;
  const commands: Subscription = {
    name: `${worker}-worker`,
    queue: topology.queues.commands[worker],
    contracts: commandContractsOf(worker),
    handler: crashingAfterCommit(
      options.crashAfterCommit,
      loggedCommands(worker, inRounds(rounds, commandProcessorOf(worker, options, settings, provider)), log),
      log,
    ),
  };
  if (worker !== 'inventory') return [commands];
  const orderEvents: Subscription = {
    name: 'inventory-order-events',
    queue: topology.queues.inventoryOrderEvents,
    contracts: eventContracts,
    handler: createOrderEventHandler(options.sql, log, topology, options.publish, rounds),
  };
  return [commands, orderEvents];
}

function commandProcessorOf(
  worker: Worker,
  options: StartWorkersOptions & { publish?: ConfirmedPublish | undefined },
  settings: WorkerSettings,
  provider: PaymentProvider,
): CommandBatchProcessor {
  const { sql, topology, publish } = options;
  const common = { sql, topology, ...(publish ? { publish } : {}) };
  // Every worker claims its commands with the replies, after the effects. The payment worker's
  // provider is called before the batch's transaction, outside it (PreparedPaymentProvider): the
  // handlers read the answers inside it, so the transaction, and the round it shares, never waits
  // for the provider.
  switch (worker) {
    case 'order':
      return createCommandBatchProcessor({
        worker,
        ...common,
        handlers: orderHandlers,
        claim: 'with-replies',
      });
    case 'inventory':
      return createCommandBatchProcessor({
        worker,
        ...common,
        handlers: inventoryHandlers(settings),
        beforeEffects: lockInventoryBatch,
        claim: 'with-replies',
      });
    case 'payment':
      return createPaymentProcessor({ ...common, provider });
    case 'shipping':
      return createCommandBatchProcessor({
        worker,
        ...common,
        handlers: shippingHandlers(settings),
        claim: 'with-replies',
      });
  }
}

/** `processor`, its batches committed in this process's shared rounds when there are any. */
function inRounds(
  rounds: CommandRounds | undefined,
  processor: CommandBatchProcessor,
): CommandBatchProcessor {
  return rounds ? rounds.join(processor) : processor;
}

/** The command contracts of one worker: a command meant for another worker is an unknown type here. */
export function commandContractsOf(worker: Worker): ContractRegistry {
  return Object.fromEntries(
    Object.entries(commandContracts).filter(([type]) => workerOf(type as CommandType) === worker),
  );
}

function loggedCommands(worker: Worker, processBatch: CommandBatchProcessor, log: Logger): BatchHandler {
  return async (messages) => {
    const { processed, rejected } = await processBatch(messages);
    for (const { command, outcome } of processed) {
      const fields = {
        worker,
        type: command.type,
        messageId: command.messageId,
        sagaId: command.correlationId,
      };
      if (outcome.duplicate) log.info(fields, 'duplicate command: stored reply sent again');
      const payload = outcome.reply?.payload as { outcome?: string; reason?: unknown } | undefined;
      if (payload?.outcome === 'failed') log.info({ ...fields, reason: payload.reason }, 'command refused');
    }
    return rejected.map(({ command, error }) => ({ message: command, error }));
  };
}

async function subscribed(consumers: readonly Consumer[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`workers did not subscribe within ${timeoutMs} ms: is the topology declared?`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(consumers.map((consumer) => consumer.started)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wraps a handler so the process dies on a delivery whose body contains `marker` (fault injection). */
function crashingOn(marker: string, handler: BatchHandler, log: Logger): BatchHandler {
  return async (messages) => {
    const poison = messages.find((message) => message.raw.content.includes(marker));
    if (poison) {
      log.error(
        { messageId: poison.messageId, type: poison.type },
        `FAULT_CRASH_ON_BODY: crashing on "${marker}"`,
      );
      process.exit(70);
    }
    return handler(messages);
  };
}

/** Wraps a batch handler so the process dies once, after a batch of several committed and before its ack (fault injection). */
function crashingAfterCommit(marker: string | undefined, handler: BatchHandler, log: Logger): BatchHandler {
  if (!marker) return handler;
  return async (messages) => {
    const rejected = await handler(messages);
    if (messages.length > 1 && !existsSync(marker)) {
      writeFileSync(marker, `${process.pid}\n`);
      log.error(
        { size: messages.length },
        'FAULT_CRASH_AFTER_COMMIT: exiting after the commit, before the ack',
      );
      process.exit(70);
    }
    return rejected;
  };
}
