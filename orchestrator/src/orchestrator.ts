// Assembles one orchestrator process: checkout API, saga engine, reply consumer, outbox relay and timeout scanner.
import { DatabaseGate, outboxBacklog, postgresCrashLedger, type DatabaseHandle } from '@sagaport/db';
import {
  type AmqpConnectionManager,
  ConfirmPublisher,
  Consumer,
  type InboundMessage,
  type Logger,
  replyContracts,
  type RetryPolicy,
  SuspectLane,
  type Topology,
  Header,
} from '@sagaport/rabbitmq';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  type AdminDeps,
  adminOpenApiDocument,
  type AdminSettings,
  createAdminApp,
  DeadLetterArchiver,
  defaultAdminSettings,
  ensureBootstrapOperator,
  LiveHub,
  REPLAY_JOBS_CHANNEL,
  ReplayJobRunner,
} from '@sagaport/admin-api';
import { CheckoutService } from './checkout/service.js';
import type { SagaSettings } from './config.js';
import { checkoutOpenApiDocument, createCheckoutApi } from './http/checkout-api.js';
import { orderHistoryProjection } from './projections/order-history.js';
import { RebuildLauncher } from './projections/rebuilds.js';
import { salesAnalyticsProjection } from './projections/sales.js';
import { consoleRoutes } from './http/console.js';
import { docsRoutes } from './http/docs-page.js';
import { Backpressure } from './http/backpressure.js';
import {
  createProjectionMetrics,
  deliveryTracer,
  httpErrorsAsProblems,
  observePublisher,
  OutboxDispatcher,
  OutboxRelay,
  problem,
  ProjectionRunner,
  SharedStreamReader,
  type ReadinessCheck,
  readinessRoutes,
  requestLogFields,
  securityHeaders,
  TableMaintenance,
} from '@sagaport/runtime';
import { observeRequests } from './http/observe.js';
import { createOrchestratorMetrics } from './observability/metrics.js';
import { MetricsSampler } from './observability/sampler.js';
import { RetentionRunner } from './retention/runner.js';
import type { SagaRegistry } from './saga/registry.js';
import { operatorActionsOf, sagaCatalogOf } from './saga/operator-actions.js';
import { sagaRegistry } from './saga/sagas.js';
import { CancellationService } from './cancellation/service.js';
import { SagaEndedSignal } from './saga/ended-signal.js';
import { SagaEngine } from './saga/engine.js';
import { queuedAhead } from './saga/queue-backlog.js';
import { TimeoutScanner } from './saga/timeout-scanner.js';
import type { ReplyInput } from './saga/types.js';
import { observeTransition } from './saga/observe.js';

export interface OrchestratorOptions {
  readonly database: DatabaseHandle;
  /**
   * The admin API's own pool (small, with a statement timeout; see `createAdminDatabase`), also used
   * by the bulk replay runner. Defaults to `database` (tests); the caller closes it.
   */
  readonly adminDatabase?: DatabaseHandle;
  readonly broker: AmqpConnectionManager;
  readonly topology: Topology;
  readonly settings: SagaSettings;
  readonly retry: RetryPolicy;
  readonly prefetch: number;
  /**
   * Deaths of this process while it ran a redelivered reply alone before that reply is
   * dead-lettered as a crash loop (AMQP_CRASH_LIMIT; 2 by default). See SuspectLane.
   */
  readonly crashLimit?: number;
  readonly publishTimeoutMs: number;
  readonly maxInFlight: number;
  /** AMQP_MAX_MESSAGE_BYTES; the publisher's default (4 MiB) when omitted. */
  readonly maxMessageBytes?: number;
  readonly logger: Logger;
  readonly consumerName: string;
  /** Admin API settings; defaults when omitted (tests). */
  readonly admin?: Partial<AdminSettings>;
  /** Absolute path of the built console (admin-ui/dist), served on the same port; none when omitted. */
  readonly consoleRoot?: string;
  /** The saga definitions this orchestrator runs; every registered saga by default. */
  readonly registry?: SagaRegistry;
  /** How often the sampled gauges (sagas, dead letters, queues, replay jobs) are read; default 15 s. */
  readonly metricsSampleIntervalMs?: number;
}

export interface Orchestrator {
  readonly app: Hono;
  readonly engine: SagaEngine;
  readonly metrics: ReturnType<typeof createOrchestratorMetrics>;
  /** The dependency checks of /readyz, for the metrics address's own /readyz. */
  readonly readiness: Record<string, ReadinessCheck>;
  stop(): Promise<void>;
}

function toReplyInput(message: InboundMessage): ReplyInput {
  const causation = message.headers[Header.causationId];
  return {
    type: message.type,
    messageId: message.messageId,
    causationId: typeof causation === 'string' ? causation : undefined,
    body: message.payload as ReplyInput['body'],
  };
}

/** Tables whose rows are deleted or updated at every saga step: they need vacuuming to stay fast. */
const churningTables = [
  'public.outbox',
  'public.inbox',
  'saga.instances',
  'inventory.products',
  'inventory.reservations',
  'orders.orders',
  'shipping.shipments',
  // The read models: a row per order updated by each of its events, and the events' record.
  'projections.order_history',
  'projections.order_history_events',
  'projections.sales_orders',
  'projections.sales_by_minute',
];

/** Starts every orchestrator role on the given connections; `stop()` drains them in order. */
export async function startOrchestrator(options: OrchestratorOptions): Promise<Orchestrator> {
  const { database, broker, topology, settings, logger } = options;
  const metrics = createOrchestratorMetrics(() => outboxBacklog(database.db));
  const publisher = new ConfirmPublisher(broker, {
    name: 'orchestrator-publisher',
    timeoutMs: options.publishTimeoutMs,
    maxInFlight: options.maxInFlight,
    ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
  });
  observePublisher(metrics.registry, publisher, 'orchestrator');
  const dispatcher = new OutboxDispatcher({
    db: database.db,
    publisher,
    topology,
    logger,
    graceMs: settings.dispatchGraceMs,
    duplicatePublishes: settings.duplicatePublishes ?? false,
    onPublished: (outcome, count) => metrics.messagesPublished.inc({ outcome }, count),
  });
  const ended = new SagaEndedSignal(database);
  const live = new LiveHub({ sql: (options.adminDatabase ?? database).sql, logger });
  const engine = new SagaEngine({
    sql: database.sql,
    dispatcher,
    db: database.db,
    topology,
    registry: options.registry ?? sagaRegistry,
    stepTimeoutMs: settings.stepTimeoutMs,
    maxSends: settings.maxSends,
    onTransition: (sagaType, before, after, createdAt) =>
      observeTransition(metrics, sagaType, before, after, createdAt),
    onEnded: (saga) => ended.endedHere(saga),
    onCommitted: (sagaIds) => live.signal({ sagas: sagaIds }),
    onDecided: (source, outcome, count) => metrics.replySagaReads.inc({ source, outcome }, count),
  });
  const relay = new OutboxRelay({
    database,
    publisher,
    logger,
    batchSize: settings.outboxBatchSize,
    lanes: settings.outboxLanes,
    pollMs: settings.outboxPollMs,
    duplicatePublishes: settings.duplicatePublishes ?? false,
    onPublished: (outcome, count) => metrics.messagesPublished.inc({ outcome }, count),
  });
  await ended.start();
  await live.start();
  await relay.start();
  const gate = new DatabaseGate({
    probe: () => database.sql`select 1`,
    onOutage: (state, downForMs) =>
      state === 'down'
        ? logger.warn({}, 'PostgreSQL unreachable: holding replies until it answers')
        : logger.info({ downForMs }, 'PostgreSQL is back: resuming replies'),
  });
  const replies = new Consumer({
    gate,
    connection: broker,
    topology,
    queue: topology.queues.replies,
    contracts: replyContracts,
    publisher,
    retry: options.retry,
    consumerName: options.consumerName,
    prefetch: options.prefetch,
    // A redelivered reply runs alone, so a reply that kills the orchestrator is dead-lettered
    // with the reason and the replies that died with it complete.
    suspects: new SuspectLane({
      ledger: postgresCrashLedger(database.sql),
      ...(options.crashLimit ? { crashLimit: options.crashLimit } : {}),
      logger,
    }),
    logger,
    batchHandler: async (messages) => {
      const results = await engine.handleReplies(
        messages.map((message) => ({
          sagaId: message.correlationId,
          reply: toReplyInput(message),
          ref: message,
          headers: message.headers,
        })),
      );
      return results.flatMap((result) =>
        'error' in result ? [{ message: result.ref, error: result.error }] : [],
      );
    },
    onBatch: metrics.consumers.observeBatch(topology.queues.replies),
    onOutcome: metrics.consumers.observe(topology.queues.replies),
    tracer: deliveryTracer(topology.queues.replies),
  });
  const archiver = new DeadLetterArchiver({
    db: database.db,
    connection: broker,
    topology,
    gate,
    logger,
    onArchived: (row) => {
      metrics.deadLettersArchived.inc({ queue: row.originalQueue, error_class: row.errorClass });
      // The row's id is the database's; its failure key counts it once all the same.
      live.signal({ deadLetters: [row.id ?? row.failureKey] });
    },
  });
  await archiver.start();
  const adminSettings: AdminSettings = { ...defaultAdminSettings, ...options.admin };
  const sampler = new MetricsSampler({
    registry: metrics.registry,
    db: database.db,
    topology,
    logger,
    managementUrl: adminSettings.managementUrl,
    intervalMs: options.metricsSampleIntervalMs ?? 15_000,
    sagaTypes: (options.registry ?? sagaRegistry).names(),
  });
  sampler.start();
  const adminDatabase = options.adminDatabase ?? database;
  const replayJobs = new ReplayJobRunner({
    db: adminDatabase.db,
    logger,
    runner: options.consumerName,
    concurrency: adminSettings.replayJobConcurrency,
    budgetPerSecond: adminSettings.replayBudgetPerSecond,
    onProgress: (jobId, deadLetters, audit) => live.signal({ replayJobs: [jobId], deadLetters, audit }),
    listen: async (wake) => {
      const listener = await adminDatabase.sql.listen(REPLAY_JOBS_CHANNEL, wake);
      return () => listener.unlisten();
    },
  });
  await replayJobs.start();
  const scanner = new TimeoutScanner({
    db: database.db,
    engine,
    logger,
    intervalMs: settings.timeoutScanIntervalMs,
    onTimeout: () => metrics.stepTimeouts.inc(),
    holdMaxMs: settings.stepHoldMaxMs ?? 0,
    onHeld: (count) => metrics.stepDeadlinesHeld.inc(count),
    queuedAhead: queuedAhead(broker, topology),
  });
  scanner.start();
  const maintenance = new TableMaintenance({
    sql: database.sql,
    tables: churningTables,
    // Eight-odd products updated twice per saga: long chains of dead row versions build up fast.
    thresholds: { 'inventory.products': 200 },
    mode: settings.tableMaintenance ?? 'auto',
    logger,
    onVacuum: (table) => metrics.tableVacuums.inc({ table }),
  });
  maintenance.start();
  const retention = new RetentionRunner({
    database,
    intervalMs: settings.retention?.intervalMs ?? 0,
    batchSize: settings.retention?.batchSize,
    ages: settings.retention?.ages,
    logger,
    onPruned: (table, rows) => metrics.retentionPruned.inc({ table }, rows),
  });
  retention.start();

  // The projections run in the orchestrator (a role, off with PROJECTIONS=off): one runner per
  // projection across every orchestrator (a lease); the others stand by.
  const projectionMetrics = createProjectionMetrics(metrics.registry);
  const projections = [orderHistoryProjection(), salesAnalyticsProjection()];
  // One reader of the stream for every runner of this process: each message crosses once.
  const streamReader = new SharedStreamReader(broker, topology.queues.events, {
    prefetch: 2 * (settings.projections?.batchSize ?? 500),
    logger,
  });
  const projectors = settings.projections?.enabled
    ? projections.map((projection) =>
        new ProjectionRunner({
          projection,
          sql: database.sql,
          connection: broker,
          queue: topology.queues.events,
          reader: streamReader,
          batchSize: settings.projections?.batchSize,
          lingerMs: settings.projections?.lingerMs,
          leaseMs: settings.projections?.leaseMs,
          onUnappliable: settings.projections?.onUnappliable,
          lagSampleMs: settings.projections?.lagSampleMs,
          metrics: projectionMetrics,
          logger,
        }).start(),
      )
    : [];

  // Operators' rebuilds run in the process that received the request, beside its runners.
  const rebuilds = new RebuildLauncher({
    sql: database.sql,
    connection: broker,
    queue: topology.queues.events,
    logger,
  });

  const service = new CheckoutService(database.db, database.sql, engine, {
    catalogueCacheMs: settings.catalogueCacheMs ?? 1_000,
  });
  const cancellations = new CancellationService(database.sql, engine, service);
  const adminDeps: AdminDeps = {
    database: adminDatabase,
    broker,
    topology,
    operator: operatorActionsOf(engine),
    sagas: sagaCatalogOf(options.registry ?? sagaRegistry),
    settings: adminSettings,
    logger,
    live,
    projections,
    rebuilds,
  };
  await ensureBootstrapOperator(adminDeps);
  const admin = createAdminApp(adminDeps);
  const adminDoc = adminOpenApiDocument(admin);
  const backpressure = new Backpressure({
    broker,
    sql: database.sql,
    outboxMaxAgeSeconds: settings.outboxMaxAgeSeconds ?? 0,
    onChange: (reason) =>
      reason
        ? logger.warn({ reason }, 'refusing new checkouts (503)')
        : logger.info({}, 'accepting checkouts again'),
  });
  backpressure.start();
  const readiness: Record<string, ReadinessCheck> = {
    postgres: async () => (await database.sql`select 1`).length === 1,
    rabbitmq: () => Promise.resolve(broker.isConnected()),
    backpressure: backpressure.check,
  };
  const checkoutApi = createCheckoutApi({
    checkouts: service,
    cancellations,
    ended,
    sql: database.sql,
    backpressure,
  });
  const checkoutDoc = checkoutOpenApiDocument(checkoutApi);
  // /metrics is not on this (public) app: it is served on the metrics address (see main.ts).
  const app = new Hono()
    .use(
      '*',
      observeRequests({ logger, requests: metrics.httpRequests, duration: metrics.httpRequestDuration }),
    )
    .use('*', securityHeaders())
    .route('/', checkoutApi)
    .get('/api/admin/openapi.json', (c) => c.json(adminDoc))
    .route('/api/admin', admin)
    .get('/openapi.json', (c) => c.json(checkoutDoc))
    .route('/', docsRoutes())
    .route('/', readinessRoutes(readiness));
  if (options.consoleRoot) app.route('/', consoleRoutes(options.consoleRoot));
  app.notFound((c) =>
    problem(c, {
      title: 'Not found',
      status: 404,
      detail: `Nothing is served at ${c.req.path}; /openapi.json and /api/admin/openapi.json list the API routes.`,
    }),
  );
  app.onError((error, c) => {
    // Malformed JSON (400) and a wrong media type (415) keep their status, as problems.
    if (error instanceof HTTPException) return httpErrorsAsProblems(error, c);
    logger.error({ err: error, path: c.req.path, ...requestLogFields(c) }, 'HTTP request failed');
    return problem(c, {
      title: 'Internal error',
      status: 500,
      detail: 'The server failed; the orchestrator log has the details.',
    });
  });

  return {
    app,
    engine,
    metrics,
    readiness,
    async stop() {
      backpressure.stop();
      await rebuilds.stop();
      await Promise.all(projectors.map((runner) => runner.stop()));
      await streamReader.close();
      await retention.stop();
      await sampler.stop();
      await scanner.stop();
      await maintenance.stop();
      await replayJobs.stop();
      await archiver.stop();
      await replies.stop();
      await relay.stop();
      await dispatcher.flush();
      await ended.stop();
      await live.stop();
      await publisher.close();
    },
  };
}
