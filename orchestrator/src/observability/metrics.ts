// The orchestrator's Prometheus metrics (prom-client), registered on one registry per process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics, createConsumerMetrics } from '@sagaport/runtime';

/** Reads the outbox backlog when Prometheus scrapes (see `outboxBacklog` in @sagaport/db). */
export type BacklogReader = () => Promise<{ count: number; oldestAgeSeconds: number | null }>;

/** Creates the registry with default process metrics and Sagaport's own. */
export function createOrchestratorMetrics(readBacklog?: BacklogReader, service = 'orchestrator') {
  let backlog: Promise<{ count: number; oldestAgeSeconds: number | null }> | undefined;
  // One query per scrape feeds both gauges.
  const readOnce = () =>
    (backlog ??= (readBacklog?.() ?? Promise.resolve({ count: 0, oldestAgeSeconds: null })).finally(() =>
      setTimeout(() => (backlog = undefined), 0),
    ));
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectProcessMetrics(registry);
  const register = [registry];
  return {
    registry,
    sagasStarted: new Counter({
      name: 'sagaport_sagas_started_total',
      help: 'Sagas started',
      labelNames: ['saga'],
      registers: register,
    }),
    sagasEnded: new Counter({
      name: 'sagaport_sagas_ended_total',
      help: 'Sagas ended, by outcome (completed, compensated, failed)',
      labelNames: ['saga', 'outcome'],
      registers: register,
    }),
    sagaDuration: new Histogram({
      name: 'sagaport_saga_duration_seconds',
      help: 'Time from start to end of a saga',
      labelNames: ['saga', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: register,
    }),
    stepDuration: new Histogram({
      name: 'sagaport_step_duration_seconds',
      help: 'Time from sending a step command to applying its reply',
      labelNames: ['saga', 'step', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: register,
    }),
    stepTimeouts: new Counter({
      name: 'sagaport_step_timeouts_total',
      help: 'Step deadlines missed',
      registers: register,
    }),
    stepDeadlinesHeld: new Counter({
      name: 'sagaport_step_deadlines_held_total',
      help: 'Step deadlines moved on without a resend because the command or its reply was still queued (STEP_HOLD_MAX_MS)',
      registers: register,
    }),
    replySagaReads: new Counter({
      name: 'sagaport_reply_saga_states_total',
      help: 'Sagas whose replies were decided, by where their state came from (kept: the state this process wrote last; read: PostgreSQL) and by outcome (written; stale: another process had moved the saga, so it was read and decided again)',
      labelNames: ['source', 'outcome'],
      registers: register,
    }),
    messagesPublished: new Counter({
      name: 'sagaport_messages_published_total',
      help: 'Outbox messages published, by outcome (confirmed, nacked, unroutable, connection-lost, timeout, too-large: dropped, error)',
      labelNames: ['outcome'],
      registers: register,
    }),
    consumers: createConsumerMetrics(registry),
    retentionPruned: new Counter({
      name: 'sagaport_retention_pruned_rows_total',
      help: 'Rows deleted by the retention runner, by table',
      labelNames: ['table'],
      registers: register,
    }),
    httpRequests: new Counter({
      name: 'sagaport_http_requests_total',
      help: 'HTTP requests answered on the public port, by API (checkout, admin, other), route template, method and status',
      labelNames: ['api', 'route', 'method', 'status'] as const,
      registers: register,
    }),
    httpRequestDuration: new Histogram({
      name: 'sagaport_http_request_duration_seconds',
      help: 'Time to answer an HTTP request on the public port, by API, route template and method',
      labelNames: ['api', 'route', 'method'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: register,
    }),
    tableVacuums: new Counter({
      name: 'sagaport_table_vacuums_total',
      help: 'VACUUMs run by the table maintenance on tables that churn, by table',
      labelNames: ['table'],
      registers: register,
    }),
    deadLettersArchived: new Counter({
      name: 'sagaport_dead_letters_archived_total',
      help: 'Dead letters stored in the archive, by original queue and error class',
      labelNames: ['queue', 'error_class'],
      registers: register,
    }),
    outboxBacklog: new Gauge({
      name: 'sagaport_outbox_backlog',
      help: 'Messages waiting in the outbox',
      registers: register,
      async collect() {
        this.set((await readOnce()).count);
      },
    }),
    outboxOldestAge: new Gauge({
      name: 'sagaport_outbox_oldest_age_seconds',
      help: 'Age of the oldest message waiting in the outbox (0 when empty)',
      registers: register,
      async collect() {
        this.set((await readOnce()).oldestAgeSeconds ?? 0);
      },
    }),
  };
}

export type OrchestratorMetrics = ReturnType<typeof createOrchestratorMetrics>;
