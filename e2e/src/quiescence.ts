// "Nothing is in flight any more": the condition to wait for before asserting that something did not happen.
import type { connectAdmin } from '@sagaport/rabbitmq/testing';
import type { System } from './harness.js';

type Channel = Awaited<ReturnType<Awaited<ReturnType<typeof connectAdmin>>['createChannel']>>;

export interface QuiescenceOptions {
  /** Give up (and throw, naming what is still moving) after this long. */
  readonly timeoutMs?: number;
  /** Two clean looks at least this far apart, with nothing written in between. */
  readonly settleMs?: number;
}

interface Look {
  /** What is still moving; empty when this look saw nothing in flight. */
  readonly moving: string[];
  /** Counters that grow with every message any consumer handled. */
  readonly progress: string;
}

/**
 * Waits until no message is in flight anywhere in `system`, and returns how long that took.
 *
 * A message is always somewhere one of these looks can see it: in the outbox (written, not yet
 * confirmed by the broker); in a queue (ready, or waiting in a retry tier or a DLQ — read with a
 * passive declare, which the broker answers from the queue itself, unlike the management API's
 * statistics that lag by seconds); or in a consumer's hands, where every Sagaport consumer works
 * inside one database transaction, visible in pg_stat_activity until it commits its effect (the
 * inbox row, the saga event, the next outbox row, the archived dead letter). The remaining
 * instants — between a delivery and its BEGIN, between a confirm and the next publish — last
 * microseconds, so the system counts as quiescent only when two looks `settleMs` apart are both
 * clean and nothing was written between them. The event stream is not a work queue (it keeps
 * every event) and is not looked at.
 */
export async function waitForQuiescence(system: System, options: QuiescenceOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const settleMs = options.settleMs ?? 300;
  const started = Date.now();
  const connection = await system.connectAdmin();
  try {
    const channel = await connection.createChannel();
    let previous: Look | undefined;
    for (;;) {
      const current = await look(system, channel);
      if (current.moving.length === 0 && previous?.moving.length === 0) {
        if (current.progress === previous.progress) return Date.now() - started;
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `the system is not quiescent after ${timeoutMs} ms: ${current.moving.join('; ') || 'still writing'}`,
        );
      }
      previous = current;
      await new Promise((r) => setTimeout(r, current.moving.length === 0 ? settleMs : 100));
    }
  } finally {
    await connection.close();
  }
}

async function look(system: System, channel: Channel): Promise<Look> {
  const moving: string[] = [];
  const [db] = await system.database.sql<{ outbox: number; transactions: string | null; progress: string }[]>`
    select
      (select count(*)::int from outbox) as outbox,
      (select string_agg(application_name || ' ' || left(query, 60), ', ')
         from pg_stat_activity
         where datname = current_database() and xact_start is not null and pid <> pg_backend_pid()
           and (application_name = 'sagaport-orchestrator'
             or application_name like 'sagaport-workers@%'
             or application_name like 'sagaport-payment-provider@%')) as transactions,
      concat_ws('/',
        (select last_value from outbox_id_seq),
        (select last_value from saga.events_id_seq),
        (select count(*) from inbox),
        (select count(*) from dead_letters),
        (select count(*) from message_retries),
        (select last_value from payments.provider_calls_id_seq)) as progress`;
  if (db!.outbox > 0) moving.push(`${db!.outbox} outbox rows unpublished`);
  if (db!.transactions) moving.push(`transactions open: ${db!.transactions}`);
  for (const queue of system.topology.declarations.queues) {
    if (queue.name === system.topology.queues.events) continue;
    const { messageCount } = await channel.checkQueue(queue.name);
    if (messageCount > 0)
      moving.push(`${messageCount} messages in ${queue.name.slice(system.prefix.length)}`);
  }
  return { moving, progress: db!.progress };
}
