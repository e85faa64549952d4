// Gauges read on an interval, not per scrape: sagas by state, open dead letters, queues, replay jobs.
import { deadLetters, replayJobs, sagaInstances, type Database } from '@sagaport/db';
import { sagaContracts, type Logger, type Topology } from '@sagaport/rabbitmq';
import { sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import { fetchBrokerQueues } from '@sagaport/admin-api';

/** A saga past its step deadline by this much was not picked up by the timeout scanner: stuck. */
export const STUCK_AFTER_SECONDS = 60;
const UNKNOWN = 'unknown';

export interface SamplerOptions {
  readonly registry: Registry;
  readonly db: Database;
  readonly topology: Topology;
  readonly logger: Logger;
  /** RabbitMQ management API (user info in the URL) and the vhost of the topology. */
  readonly managementUrl: string;
  readonly vhost?: string;
  /** How often the gauges are read (METRICS_SAMPLE_INTERVAL_MS). */
  readonly intervalMs: number;
  /** The registered saga types: the `saga` label's values (anything else counts as `unknown`). */
  readonly sagaTypes: readonly string[];
}

/**
 * Reads the operational gauges every `intervalMs`: however often Prometheus (or several) scrape,
 * PostgreSQL and the management API are asked once per interval. Every label takes known values
 * only: queues of the topology, message types of the contracts, `unknown` for anything else.
 */
export class MetricsSampler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly queues: ReadonlySet<string>;
  private readonly sagas: Gauge<'saga' | 'status'>;
  private readonly stuck: Gauge;
  private readonly deadLetters: Gauge<'queue' | 'type'>;
  private readonly depth: Gauge<'queue'>;
  private readonly ready: Gauge<'queue'>;
  private readonly unacked: Gauge<'queue'>;
  private readonly consumers: Gauge<'queue'>;
  private readonly oldest: Gauge<'queue'>;
  private readonly replay: Gauge<'state'>;
  private readonly replayJobs: Gauge<'status'>;
  private readonly brokerUp: Gauge;

  constructor(private readonly options: SamplerOptions) {
    const registers = [options.registry];
    this.queues = new Set(options.topology.declarations.queues.map((q) => q.name));
    this.sagas = new Gauge({
      name: 'sagaport_sagas',
      help: 'Sagas not ended (running, compensating) and failed ones (an operator has to look), by saga type and status',
      labelNames: ['saga', 'status'],
      registers,
    });
    this.stuck = new Gauge({
      name: 'sagaport_sagas_stuck',
      help: `Sagas running or compensating more than ${STUCK_AFTER_SECONDS} s past their step deadline (the timeout scanner has not acted)`,
      registers,
    });
    this.deadLetters = new Gauge({
      name: 'sagaport_dead_letters_open',
      help: 'Dead letters archived and still open (not replayed or discarded), by original queue and message type',
      labelNames: ['queue', 'type'],
      registers,
    });
    this.depth = new Gauge({
      name: 'sagaport_queue_messages',
      help: 'Messages in a queue (ready and unacknowledged), from the management API',
      labelNames: ['queue'],
      registers,
    });
    this.ready = new Gauge({
      name: 'sagaport_queue_messages_ready',
      help: 'Messages ready for delivery in a queue, from the management API',
      labelNames: ['queue'],
      registers,
    });
    this.unacked = new Gauge({
      name: 'sagaport_queue_messages_unacknowledged',
      help: 'Messages delivered and not yet acknowledged in a queue, from the management API',
      labelNames: ['queue'],
      registers,
    });
    this.consumers = new Gauge({
      name: 'sagaport_queue_consumers',
      help: 'Consumers subscribed to a queue, from the management API',
      labelNames: ['queue'],
      registers,
    });
    this.oldest = new Gauge({
      name: 'sagaport_queue_oldest_message_age_seconds',
      help: 'Age of the message at the head of a queue (consumer lag; 0 when empty), from the management API',
      labelNames: ['queue'],
      registers,
    });
    this.replay = new Gauge({
      name: 'sagaport_replay_job_messages',
      help: 'Dead letters of queued and running bulk replay jobs, by state (total, replayed, skipped, failed)',
      labelNames: ['state'],
      registers,
    });
    this.replayJobs = new Gauge({
      name: 'sagaport_replay_jobs',
      help: 'Bulk replay jobs queued or running, by status',
      labelNames: ['status'],
      registers,
    });
    this.brokerUp = new Gauge({
      name: 'sagaport_broker_management_up',
      help: '1 when the last read of the RabbitMQ management API succeeded (the queue gauges are current), else 0',
      registers,
    });
  }

  /** Reads once now, then every interval. */
  start(): void {
    this.running = this.sample();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.sample());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Reads every gauge once; a source that fails is logged and leaves its gauges as they were. */
  async sample(): Promise<void> {
    await Promise.all([this.sampleDatabase(), this.sampleBroker()]);
  }

  private async sampleDatabase(): Promise<void> {
    const { db, logger } = this.options;
    try {
      const [sagas, open, jobs] = await Promise.all([
        db.execute<{ saga: string; status: string; count: number; stuck: number }>(sql`
          select saga_type as saga, status, count(*)::int as count,
            (count(*) filter (where status <> 'failed'
              and deadline_at < now() - make_interval(secs => ${STUCK_AFTER_SECONDS})))::int as stuck
          from ${sagaInstances} where status in ('running', 'compensating', 'failed') group by saga_type, status`),
        db.execute<{ queue: string; type: string; count: number }>(sql`
          select original_queue as queue, message_type as type, count(*)::int as count
          from ${deadLetters} where status = 'open' group by 1, 2`),
        db.execute<{
          status: string;
          jobs: number;
          total: number;
          replayed: number;
          skipped: number;
          failed: number;
        }>(sql`
          select status, count(*)::int as jobs, sum(total)::int as total, sum(replayed)::int as replayed,
            sum(skipped)::int as skipped, sum(failed)::int as failed
          from ${replayJobs} where status in ('queued', 'running') group by status`),
      ]);
      // Every known type and status is set (0 when none), so a count that drops to none reads 0.
      this.sagas.reset();
      for (const saga of this.options.sagaTypes)
        for (const status of ['running', 'compensating', 'failed']) this.sagas.set({ saga, status }, 0);
      const types = new Set(this.options.sagaTypes);
      for (const row of sagas)
        this.sagas.inc({ saga: types.has(row.saga) ? row.saga : UNKNOWN, status: row.status }, row.count);
      this.stuck.set(sagas.reduce((sum, r) => sum + r.stuck, 0));
      this.deadLetters.reset();
      const known = new Set(Object.keys(sagaContracts));
      for (const row of open) {
        const queue = this.queues.has(row.queue) ? row.queue : UNKNOWN;
        const type = known.has(row.type) ? row.type : UNKNOWN;
        this.deadLetters.inc({ queue, type }, row.count);
      }
      const byJobStatus = new Map(jobs.map((r) => [r.status, r]));
      for (const status of ['queued', 'running'])
        this.replayJobs.set({ status }, byJobStatus.get(status)?.jobs ?? 0);
      for (const state of ['total', 'replayed', 'skipped', 'failed'] as const)
        this.replay.set(
          { state },
          jobs.reduce((sum, r) => sum + (r[state] ?? 0), 0),
        );
    } catch (error) {
      logger.warn({ err: error }, 'could not read the saga, dead-letter and replay gauges');
    }
  }

  private async sampleBroker(): Promise<void> {
    const { managementUrl, vhost, logger } = this.options;
    try {
      const live = await fetchBrokerQueues(managementUrl, vhost ?? '/', 5_000);
      const now = Date.now();
      for (const name of this.queues) {
        const queue = live.get(name);
        if (!queue) continue;
        this.depth.set({ queue: name }, queue.messages ?? 0);
        this.ready.set({ queue: name }, queue.messages_ready ?? 0);
        this.unacked.set({ queue: name }, queue.messages_unacknowledged ?? 0);
        this.consumers.set({ queue: name }, queue.consumers ?? 0);
        const head = queue.head_message_timestamp;
        // AMQP timestamps are seconds; Sagaport's messages carry milliseconds. Either way: an age.
        const headMs = typeof head === 'number' ? (head > 1e11 ? head : head * 1000) : undefined;
        this.oldest.set(
          { queue: name },
          headMs && (queue.messages ?? 0) > 0 ? Math.max(0, (now - headMs) / 1000) : 0,
        );
      }
      this.brokerUp.set(1);
    } catch (error) {
      this.brokerUp.set(0);
      logger.warn({ err: error }, 'could not read the queue gauges from the RabbitMQ management API');
    }
  }
}
