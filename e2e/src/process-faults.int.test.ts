// Process and message faults with the real processes: the payment worker dying between the
// provider's charge and the ack, the orchestrator frozen (SIGSTOP) past the heartbeat, a work
// queue deleted under its consumers, and replies that arrive late or for no saga at all.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage, declareTopology, routeOf } from '@sagaport/rabbitmq';
import { connectAdmin, eventually } from '@sagaport/rabbitmq/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { booksCheck, deadLetterRows, faultCatalogue, loadWithFault, sleep } from './fault-setup.js';
import { System } from './harness.js';
import { driveCheckouts, expectedMixedOutcome, mixedCheckout } from './load.js';

const stock = faultCatalogue(800);
const { catalogue, initialStock, skus } = stock;
/** Every saga ended as its checkout calls for, the books are straight, and nothing was dead-lettered. */
const expectBooksStraight = booksCheck(stock);

async function count(system: System, query: string): Promise<number> {
  const [row] = await system.database.sql.unsafe<{ n: number }[]>(query);
  return row!.n;
}

describe('process and message faults (real processes)', () => {
  let system: System | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('the payment worker dies after the provider charged and the charge committed, before the ack: charged once', async () => {
    const marker = join(tmpdir(), `sagaport-payment-crash-${randomUUID()}`);
    system = await System.create({ catalogue });
    const api = await system.startOrchestrator();
    await system.startWorkers(['order', 'inventory', 'shipping']);
    const payment = await system.startWorkers(['payment'], { FAULT_CRASH_AFTER_COMMIT: marker });
    const sagaIds = await driveCheckouts({
      total: 40,
      concurrency: 20,
      port: () => api.port,
      body: mixedCheckout(skus),
    });
    expect(await eventually(() => existsSync(marker) && payment.exited, 30_000)).toBe(true);
    // The charges of that batch are at the provider and in the books; their commands are unacked.
    expect(
      await count(
        system,
        `select count(*)::int as n from payments.provider_calls where operation = 'charge'`,
      ),
    ).toBeGreaterThan(0);
    await system.startWorkers(['payment']);
    await expectBooksStraight(system, sagaIds);
    // The redelivered charges were answered from the inbox: the provider moved money once each.
    expect(
      await count(
        system,
        `select count(*)::int as n from (select idempotency_key from payments.provider_calls
           where operation = 'charge' and status = 201 and not replayed group by 1 having count(*) > 1) t`,
      ),
    ).toBe(0);
  });

  it('the orchestrator frozen (SIGSTOP) for three heartbeats, then SIGCONT: it reconnects, nothing is lost', async () => {
    system = await System.create({ catalogue });
    const api = await system.startOrchestrator();
    await system.startWorkers();
    const sagaIds = await loadWithFault({ api }, stock, {
      total: 40,
      concurrency: 8,
      faultAfter: 12,
      fault: async () => {
        api.signal('SIGSTOP');
        await sleep(16_000); // the heartbeat is 5 s: the broker gives up on the connection
        api.signal('SIGCONT');
      },
    });
    expect(api.exited).toBe(false);
    await expectBooksStraight(system, sagaIds);
  });

  it('a work queue deleted under its consumers (the server cancels them) and declared anew: they consume again', async () => {
    system = await System.create({ catalogue });
    const api = await system.startOrchestrator();
    const workers = await system.startWorkers();
    const first = await driveCheckouts({
      total: 10,
      concurrency: 5,
      port: () => api.port,
      body: mixedCheckout(skus),
    });
    await settledBooks(system, initialStock);
    const admin = await connectAdmin();
    const channel = await admin.createChannel();
    const queue = system.topology.queues.commands.payment;
    await channel.deleteQueue(queue);
    // As an operator (or a redeploy) would: the topology declared again.
    await declareTopology(channel, system.topology);
    expect(await eventually(async () => (await channel.checkQueue(queue)).consumerCount === 1, 30_000)).toBe(
      true,
    );
    await admin.close();
    const rest = await driveCheckouts({
      total: 30,
      concurrency: 8,
      port: () => api.port,
      body: (i) => mixedCheckout(skus)(i + 10),
    });
    expect(workers.exited).toBe(false);
    await expectBooksStraight(system, [...first, ...rest]);
  });

  // The replies' DLQ unbound from the dead-letter exchange: a dead letter routes nowhere, as with
  // the DLQ deleted (rabbitmq/src/dead-letter-target.int.test.ts deletes the DLQ and the exchange),
  // while the archiver keeps consuming the DLQ.
  it('the dead-letter target unavailable: a reply for an unknown saga stays in its queue while checkouts go on, and is dead-lettered once when the target is back', async () => {
    system = await System.create({ catalogue });
    const api = await system.startOrchestrator();
    await system.startWorkers();
    const admin = await connectAdmin();
    const channel = await admin.createConfirmChannel();
    const repliesDlq = system.topology.queues.deadLetters[system.topology.queues.replies]!;
    await channel.unbindQueue(
      repliesDlq,
      system.topology.exchanges.deadLetters,
      system.topology.queues.replies,
    );
    const unknown = randomUUID();
    const stray = buildMessage({
      ...routeOf(system.topology, 'order.create.reply'),
      type: 'order.create.reply',
      correlationId: unknown,
      payload: { outcome: 'succeeded', result: { orderId: randomUUID() } },
    });
    channel.publish(stray.exchange, stray.routingKey, stray.content, stray.properties);
    await channel.waitForConfirms();
    // The orchestrator holds the stray reply (its dead letter has nowhere to go) and goes on.
    const sagaIds = await driveCheckouts({
      total: 20,
      concurrency: 5,
      port: () => api.port,
      body: mixedCheckout(skus),
    });
    const report = await settledBooks(system, initialStock);
    expect(report.problems).toEqual([]);
    expect(await sagaOutcomes(system.database, sagaIds)).toEqual(
      sagaIds.map((_, i) => expectedMixedOutcome(i)),
    );
    expect(await count(system, `select count(*)::int as n from dead_letters`)).toBe(0);
    // Still in its queue, unacked: nothing lost.
    expect((await channel.checkQueue(system.topology.queues.replies)).consumerCount).toBe(1);

    await declareTopology(channel, system.topology); // the binding is back
    await admin.close();
    expect(
      await eventually(
        async () => (await count(system!, `select count(*)::int as n from dead_letters`)) > 0,
        30_000,
      ),
    ).toBe(true);
    await sleep(3_000);
    const letters = await system.database.sql<{ message_id: string; error_message: string }[]>`
      select message_id, error_message from dead_letters`;
    expect(letters).toHaveLength(1);
    expect(letters[0]!.message_id).toBe(stray.properties.messageId);
    expect(letters[0]!.error_message).toContain(`no saga ${unknown}`);
    expect(await count(system, `select count(*)::int as n from saga.instances where id = '${unknown}'`)).toBe(
      0,
    );
  });

  it('a command over AMQP_MAX_MESSAGE_BYTES: the worker dead-letters it on its first delivery, with the reason, and the checkouts go on', async () => {
    system = await System.create({ catalogue, env: { AMQP_MAX_MESSAGE_BYTES: '65536' } });
    const api = await system.startOrchestrator();
    await system.startWorkers();
    const admin = await connectAdmin();
    const channel = await admin.createConfirmChannel();
    // From a producer that does not check the limit (the shared broker's own is 128 MiB).
    const oversized = buildMessage({
      ...routeOf(system.topology, 'order.create'),
      type: 'order.create',
      correlationId: randomUUID(),
      payload: { customerId: 'c-1', note: 'x'.repeat(100 * 1024) },
    });
    channel.publish(oversized.exchange, oversized.routingKey, oversized.content, oversized.properties);
    await channel.waitForConfirms();
    await admin.close();
    const sagaIds = await driveCheckouts({
      total: 10,
      concurrency: 5,
      port: () => api.port,
      body: mixedCheckout(skus),
    });
    const report = await settledBooks(system, initialStock);
    expect(report.problems).toEqual([]);
    expect(await sagaOutcomes(system.database, sagaIds)).toEqual(
      sagaIds.map((_, i) => expectedMixedOutcome(i)),
    );
    expect(await deadLetterRows(system)).toEqual([
      {
        original_queue: system.topology.queues.commands.order,
        message_type: 'order.create',
        error_class: 'permanent',
        error_name: 'MessageTooLargeError',
        error_message: `a message of ${oversized.content.length} bytes is over the limit of 65536 bytes (AMQP_MAX_MESSAGE_BYTES)`,
        attempts: 1,
        failed_by: expect.stringMatching(/^order/) as unknown,
      },
    ]);
  });

  it('a late reply for a saga that moved on changes nothing; a reply for an unknown saga is dead-lettered and creates nothing', async () => {
    system = await System.create({ catalogue });
    const api = await system.startOrchestrator();
    await system.startWorkers();
    const sagaIds = await driveCheckouts({
      total: 10,
      concurrency: 5,
      port: () => api.port,
      body: mixedCheckout(skus),
    });
    await settledBooks(system, initialStock);
    const completed = sagaIds[0]!;
    const before = await count(system, `select coalesce(max(id), 0)::int as n from saga.events`);
    const admin = await connectAdmin();
    const channel = await admin.createConfirmChannel();
    const send = async (sagaId: string) => {
      const message = buildMessage({
        ...routeOf(system!.topology, 'order.create.reply'),
        type: 'order.create.reply',
        correlationId: sagaId,
        payload: { outcome: 'succeeded', result: { orderId: randomUUID() } },
      });
      channel.publish(message.exchange, message.routingKey, message.content, message.properties);
      await channel.waitForConfirms();
      return message.properties.messageId;
    };
    // Late: the saga completed long ago; its first step's reply arrives again with a new message id.
    const late = await send(completed);
    const unknown = randomUUID();
    const stray = await send(unknown);
    await admin.close();

    expect(
      await eventually(
        async () => (await count(system!, `select count(*)::int as n from dead_letters`)) === 1,
        30_000,
      ),
    ).toBe(true);
    const [letter] = await system.database.sql<
      { message_id: string; error_message: string; error_class: string }[]
    >`
      select message_id, error_message, error_class from dead_letters`;
    expect(letter!.message_id).toBe(stray);
    expect(letter!.error_message).toContain(`no saga ${unknown}`);
    expect(await count(system, `select count(*)::int as n from saga.instances where id = '${unknown}'`)).toBe(
      0,
    );
    // The late reply was recorded as ignored; the saga is still completed with its books unchanged.
    expect(
      await eventually(
        async () =>
          (await count(
            system!,
            `select count(*)::int as n from saga.events
             where kind = 'reply.ignored' and (message_id = '${late}' or detail->>'messageId' = '${late}')`,
          )) === 1,
      ),
    ).toBe(true);
    // Since then, only the late reply was recorded (received, then ignored): no saga moved, none was created.
    expect(
      await system.database.sql.unsafe(
        `select saga_id::text = '${unknown}' as unknown_saga, kind from saga.events where id > ${before} 
           and coalesce(message_id::text, detail->>'messageId', '') <> '${late}'`,
      ),
    ).toEqual([]);
    const report = await settledBooks(system, initialStock);
    expect(report.problems).toEqual([]);
    expect(await sagaOutcomes(system.database, [completed])).toEqual([expectedMixedOutcome(0)]);
  });
});
