// Integration tests of shared rounds: several workers' batches in one transaction, each failing only on its own account.
import { randomUUID } from 'node:crypto';
import type { NewOutboxMessage } from '@sagaport/db';
import { TransientError } from '@sagaport/rabbitmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { delivery } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  undeclaredTopology,
  type WorkerTestDatabase,
} from '../test-support/database.js';
import {
  createCommandBatchProcessor,
  type CommandBatchProcessor,
  type CommandHandlers,
} from './command-handler.js';
import { CommandRounds } from './command-rounds.js';
import { createOrderEventHandler } from '../inventory/order-events.js';
import type { CommandDelivery } from './messages.js';
import type { WorkerSql } from './sql.js';

const topology = undeclaredTopology();
const orderIdOf = (command: CommandDelivery) => (command.payload as { orderId: string }).orderId;
const confirm = () => delivery('order.confirm', { orderId: randomUUID() });
const cancelShipment = () => delivery('shipping.cancel', { orderId: randomUUID() });

describe('CommandRounds (real PostgreSQL)', () => {
  let database: WorkerTestDatabase;
  /** What each command's handler does: write its effect (the default), or throw. */
  const behaviour = new Map<string, () => Error | undefined>();
  let published: NewOutboxMessage[][];

  const effectsOf = async (command: CommandDelivery) =>
    (
      await database.sql<
        { n: number }[]
      >`select count(*)::int as n from public.round_effects where order_id = ${orderIdOf(command)}`
    )[0]!.n;
  /** The transaction (xmin) that wrote each command's inbox row; undefined when it has none. */
  const claimTransactions = async (commands: readonly CommandDelivery[]) => {
    const rows = await database.sql<{ message_id: string; tx: string }[]>`
      select message_id, xmin::text as tx from inbox where message_id in ${database.sql(commands.map((c) => c.messageId))}`;
    const byId = new Map(rows.map((row) => [row.message_id, row.tx]));
    return commands.map((command) => byId.get(command.messageId));
  };

  function effect(worker: string) {
    return async ({ sql, payload }: { sql: WorkerSql; payload: unknown }) => {
      const { orderId } = payload as { orderId: string };
      const fail = behaviour.get(orderId)?.();
      if (fail) throw fail;
      await sql`insert into public.round_effects (order_id, worker) values (${orderId}, ${worker})`;
      return {};
    };
  }

  function processors(): { order: CommandBatchProcessor; shipping: CommandBatchProcessor } {
    const common = { sql: database.sql, topology, claim: 'with-replies' as const };
    const order = createCommandBatchProcessor({
      ...common,
      worker: 'order',
      handlers: {
        'order.create': effect('order'),
        'order.confirm': effect('order'),
        'order.cancel': effect('order'),
        'order.revoke': effect('order'),
      } as unknown as CommandHandlers<'order'>,
    });
    const shipping = createCommandBatchProcessor({
      ...common,
      worker: 'shipping',
      handlers: {
        'shipping.schedule': effect('shipping'),
        'shipping.cancel': effect('shipping'),
        'shipping.withdraw': effect('shipping'),
        'shipping.reinstate': effect('shipping'),
      } as unknown as CommandHandlers<'shipping'>,
    });
    return { order, shipping };
  }

  function rounds() {
    const shared = new CommandRounds(database.sql, async (messages) => {
      published.push([...messages]);
    });
    const { order, shipping } = processors();
    return { order: shared.join(order), shipping: shared.join(shipping) };
  }

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    await database.sql`create table public.round_effects (order_id uuid not null, worker text not null)`;
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(() => {
    behaviour.clear();
    published = [];
  });

  it('commits batches of two workers that arrive together in one transaction and publishes their replies once', async () => {
    const { order, shipping } = rounds();
    const orders = [confirm(), confirm()];
    const shipments = [cancelShipment()];

    const [ordered, shipped] = await Promise.all([order(orders), shipping(shipments)]);

    expect(ordered.rejected).toEqual([]);
    expect(shipped.rejected).toEqual([]);
    expect(ordered.processed.map((p) => p.outcome.duplicate)).toEqual([false, false]);
    const transactions = await claimTransactions([...orders, ...shipments]);
    expect(transactions.every((tx) => tx !== undefined)).toBe(true);
    expect(new Set(transactions).size).toBe(1);
    expect(published).toHaveLength(1);
    expect(published[0]!.map((m) => m.messageType).sort()).toEqual([
      'order.confirm.reply',
      'order.confirm.reply',
      'shipping.cancel.reply',
    ]);
  });

  it('gathers the batches that come while a round is in flight into the next round', async () => {
    const { order, shipping } = rounds();
    const first = [confirm()];
    const later = [[confirm()], [cancelShipment()]] as const;
    const running = order(first);
    // The first round has left; these two arrive while it is in its transaction.
    await new Promise((resolve) => setImmediate(resolve));
    const [a, b] = await Promise.all([order(later[0]), shipping(later[1]), running]);
    expect(a.rejected).toEqual([]);
    expect(b.rejected).toEqual([]);
    const [firstTx, ...laterTx] = await claimTransactions([...first, ...later[0], ...later[1]]);
    expect(laterTx[0]).toBe(laterTx[1]);
    expect(laterTx[0]).not.toBe(firstTx);
    expect(published).toHaveLength(2);
  });

  it('answers a redelivered command with its stored reply while the other worker’s new commands commit once', async () => {
    const { order, shipping } = rounds();
    const old = confirm();
    const [before] = (await order([old])).processed;
    const fresh = [confirm()];
    const shipments = [cancelShipment(), cancelShipment()];

    const [ordered, shipped] = await Promise.all([order([old, ...fresh]), shipping(shipments)]);

    expect(ordered.processed.map((p) => [p.command, p.outcome.duplicate])).toEqual([
      [old, true],
      [fresh[0], false],
    ]);
    expect(ordered.processed[0]!.outcome.reply).toEqual(before!.outcome.reply);
    expect(shipped.processed.map((p) => p.outcome.duplicate)).toEqual([false, false]);
    for (const command of [old, ...fresh, ...shipments]) expect(await effectsOf(command)).toBe(1);
    // Still one transaction for the new commands of both workers.
    const transactions = await claimTransactions([...fresh, ...shipments]);
    expect(new Set(transactions).size).toBe(1);
  });

  it('sets aside a command that failed on its own account and commits every other command of the round', async () => {
    const { order, shipping } = rounds();
    const failing = confirm();
    const good = confirm();
    const shipments = [cancelShipment()];
    behaviour.set(orderIdOf(failing), () => new TransientError('provider answered 503'));

    const [ordered, shipped] = await Promise.all([order([failing, good]), shipping(shipments)]);

    expect(ordered.rejected.map((r) => r.command)).toEqual([failing]);
    expect(ordered.rejected[0]!.error).toBeInstanceOf(TransientError);
    expect(ordered.processed.map((p) => p.command)).toEqual([good]);
    expect(shipped.rejected).toEqual([]);
    expect([await effectsOf(failing), await effectsOf(good), await effectsOf(shipments[0]!)]).toEqual([
      0, 1, 1,
    ]);
    expect(await claimTransactions([failing])).toEqual([undefined]);
    // The round went again without it, the other worker's batch still in it.
    const [goodTx, shipmentTx] = await claimTransactions([good, shipments[0]!]);
    expect(goodTx).toBe(shipmentTx);
  });

  it('fails only the batch whose handler broke (a bug): the other worker’s batch commits in a transaction of its own', async () => {
    const { order, shipping } = rounds();
    const broken = confirm();
    const bug = new Error('bug in a handler');
    behaviour.set(orderIdOf(broken), () => bug);
    const shipments = [cancelShipment(), cancelShipment()];

    const [ordered, shipped] = await Promise.allSettled([order([broken, confirm()]), shipping(shipments)]);

    // The consumer runs a failed batch's messages one at a time, as it would without rounds.
    expect(ordered).toEqual({ status: 'rejected', reason: bug });
    expect(shipped.status).toBe('fulfilled');
    for (const command of shipments) expect(await effectsOf(command)).toBe(1);
    expect(await effectsOf(broken)).toBe(0);
  });

  it('commits the inventory’s order events in the same round as the command batches', async () => {
    const shared = new CommandRounds(database.sql, async (messages) => {
      published.push([...messages]);
    });
    const order = shared.join(processors().order);
    const onOrderEvents = createOrderEventHandler(database.sql, undefined, topology, undefined, shared);
    const commands = [confirm()];
    const event = {
      messageId: randomUUID(),
      type: 'order.cancelled',
      correlationId: randomUUID(),
      payload: { orderId: randomUUID(), reason: 'customer changed their mind' },
    };

    await Promise.all([order(commands), onOrderEvents([event])]);

    const rows = await database.sql<{ consumer: string; tx: string }[]>`
      select consumer, xmin::text as tx from inbox
      where message_id in ${database.sql([commands[0]!.messageId, event.messageId])}`;
    expect(rows.map((row) => row.consumer).sort()).toEqual(['inventory-order-events', 'order']);
    expect(new Set(rows.map((row) => row.tx)).size).toBe(1);
  });

  it('keeps a processor that claims before its effects (it calls a remote provider) out of the rounds', () => {
    const shared = new CommandRounds(database.sql, undefined);
    const payment = createCommandBatchProcessor({
      worker: 'payment',
      sql: database.sql,
      topology,
      handlers: {} as CommandHandlers<'payment'>,
    });
    expect(shared.join(payment)).toBe(payment);
    const { order } = processors();
    expect(shared.join(order)).not.toBe(order);
  });
});
