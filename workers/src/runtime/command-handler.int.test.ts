// Integration tests of the shared command pattern: one effect per message id, refusals without effect, errors roll back.
import { randomUUID } from 'node:crypto';
import { shipments } from '@sagaport/db';
import {
  BusinessRefusal,
  ContractViolationError,
  Header,
  PermanentError,
  TransientError,
  UnknownMessageTypeError,
} from '@sagaport/rabbitmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, delivery } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  inboxOf,
  outboxOf,
  undeclaredTopology,
  type WorkerTestDatabase,
} from '../test-support/database.js';
import {
  createCommandBatchProcessor,
  createCommandProcessor,
  type CommandHandlers,
} from './command-handler.js';

const topology = undeclaredTopology();
const schedule = (sagaId?: string) =>
  delivery(
    'shipping.schedule',
    { orderId: randomUUID(), address, items: [{ sku: 'SKU-001', quantity: 1 }] },
    {
      sagaId,
    },
  );

describe('command pattern (inbox, savepoint, outbox)', () => {
  let database: WorkerTestDatabase;
  let effects = 0;
  let failWith: Error | undefined;

  // A handler that refuses first (as every handler must, before it writes), or inserts a shipment
  // and then fails as told: the test of what rolls back what. `effects` stands for a call outside
  // PostgreSQL, made (as the rule says) only after a statement succeeded, which proves the
  // command's claim did: a redelivered command's handler may start, but never gets that far.
  const handlers: CommandHandlers<'shipping'> = {
    'shipping.schedule': async ({ sql, sagaId, payload, emit }) => {
      await sql`select 1`;
      effects += 1;
      if (failWith instanceof BusinessRefusal) throw failWith;
      const id = randomUUID();
      await sql`
        insert into shipping.shipments (id, saga_id, order_id, country, address, status)
        values (${id}, ${sagaId}, ${payload.orderId}, 'DE', ${JSON.stringify(payload.address)}::jsonb, 'scheduled')`;
      await emit('order.cancelled', { orderId: payload.orderId, reason: 'emitted inside the effect' }, 2);
      if (failWith) throw failWith;
      return { shipmentId: id };
    },
    'shipping.cancel': async () => ({}),
    'shipping.withdraw': async () => ({ shipmentId: randomUUID() }),
    'shipping.reinstate': async () => ({}),
  };
  let processCommand: ReturnType<typeof createCommandProcessor>;

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    processCommand = createCommandProcessor({ worker: 'shipping', sql: database.sql, topology, handlers });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('answers a redelivery with the stored reply (same reply message id) and applies the effect once', async () => {
    failWith = undefined;
    effects = 0;
    const command = schedule();
    const first = await processCommand(command);
    const second = await processCommand(command);

    expect(effects).toBe(1);
    const written = await database.db.select().from(shipments);
    expect(written.filter((s) => s.sagaId === command.correlationId)).toHaveLength(1);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ duplicate: true, reply: first.reply });
    const replies = (await outboxOf(database.db, command.correlationId!)).filter((r) =>
      r.messageType.endsWith('.reply'),
    );
    expect(replies).toHaveLength(2);
    expect(replies[0]!.messageId).toBe(first.reply!.messageId);
    expect(replies[1]!.messageId).toBe(first.reply!.messageId);
    expect(replies[1]!.payload).toEqual(replies[0]!.payload);
    expect(replies[0]).toMatchObject({
      exchange: topology.exchanges.replies,
      routingKey: 'shipping.schedule.reply',
      correlationId: command.correlationId,
      headers: { [Header.causationId]: command.messageId, [Header.schemaVersion]: 1 },
    });
  });

  it('turns a BusinessRefusal into a failed reply with no effect and no event', async () => {
    failWith = new BusinessRefusal('country_not_served', 'we do not ship there');
    const command = schedule();
    const outcome = await processCommand(command);

    expect(outcome.reply?.payload).toEqual({
      outcome: 'failed',
      reason: { code: 'country_not_served', message: 'we do not ship there' },
    });
    const rows = await outboxOf(database.db, command.correlationId!);
    expect(rows.map((r) => r.messageType)).toEqual(['shipping.schedule.reply']);
    const stored = await database.db.select().from(shipments);
    expect(stored.some((s) => s.sagaId === command.correlationId)).toBe(false);
    // The refusal is remembered: a redelivery gets the same failed reply without running the handler.
    const runs = effects;
    expect(await processCommand(command)).toEqual({ duplicate: true, reply: outcome.reply });
    expect(effects).toBe(runs);
  });

  it.each([
    ['a TransientError', new TransientError('database hiccup')],
    ['any other error', new Error('bug')],
  ])('rolls back everything on %s, inbox claim included, so the retry runs it again', async (_, error) => {
    failWith = error;
    const command = schedule();
    await expect(processCommand(command)).rejects.toBe(error);
    expect(await outboxOf(database.db, command.correlationId!)).toEqual([]);
    const claimed = await inboxOf(database.db, 'shipping');
    expect(claimed.some((row) => row.messageId === command.messageId)).toBe(false);

    failWith = undefined;
    const retried = await processCommand(command);
    expect(retried.duplicate).toBe(false);
    expect(retried.reply?.payload).toMatchObject({ outcome: 'succeeded' });
  });

  it('dead-letters (PermanentError) a reply that breaks its contract, a command without saga id, or another worker’s command', async () => {
    failWith = undefined;
    const broken = createCommandProcessor({
      worker: 'shipping',
      sql: database.sql,
      topology,
      handlers: { ...handlers, 'shipping.cancel': async () => ({ unexpected: true }) as never },
    });
    await expect(broken(delivery('shipping.cancel', { orderId: randomUUID() }))).rejects.toThrow(
      PermanentError,
    );
    await expect(processCommand({ ...schedule(), correlationId: undefined })).rejects.toThrow(
      ContractViolationError,
    );
    await expect(processCommand(delivery('order.confirm', { orderId: randomUUID() }))).rejects.toThrow(
      UnknownMessageTypeError,
    );
  });

  it('passes the command’s trace context on to its reply', async () => {
    failWith = undefined;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const command = delivery(
      'shipping.cancel',
      { orderId: randomUUID() },
      { traceparent, sagaId: randomUUID() },
    );
    await processCommand(command);
    const [reply] = await outboxOf(database.db, command.correlationId!);
    expect(reply?.headers).toMatchObject({ [Header.traceparent]: traceparent });
  });

  it('leaves out every command of a batch whose handler fails on its own, running each of those once, and commits the others', async () => {
    const calls = new Map<string, number>();
    const failing = new Set<string>();
    const batch = createCommandBatchProcessor({
      worker: 'shipping',
      sql: database.sql,
      topology,
      handlers: {
        'shipping.schedule': async ({ payload }) => {
          calls.set(payload.orderId, (calls.get(payload.orderId) ?? 0) + 1);
          // A provider's 503: thrown before anything is written, as handlers must.
          if (failing.has(payload.orderId)) throw new TransientError('provider answered 503');
          return { shipmentId: randomUUID() };
        },
        'shipping.cancel': async () => ({}),
        'shipping.withdraw': async () => ({ shipmentId: randomUUID() }),
        'shipping.reinstate': async () => ({}),
      },
    });
    const commands = [schedule(), schedule(), schedule(), schedule()];
    const orderOf = (c: (typeof commands)[number]) => (c.payload as { orderId: string }).orderId;
    failing.add(orderOf(commands[0]!));
    failing.add(orderOf(commands[2]!));

    const { processed, rejected } = await batch(commands);

    expect(rejected.map((r) => r.command)).toEqual([commands[0], commands[2]]);
    expect(rejected.every((r) => r.error instanceof TransientError)).toBe(true);
    expect(processed.map((p) => p.command)).toEqual([commands[1], commands[3]]);
    // The failing calls were made once each; the others ran again after the rollback.
    expect(calls.get(orderOf(commands[0]!))).toBe(1);
    expect(calls.get(orderOf(commands[2]!))).toBe(1);
    expect(calls.get(orderOf(commands[1]!))).toBe(2);
    // Nothing of the failed ones was kept: their retry is a first delivery.
    const claimed = await inboxOf(database.db, 'shipping');
    expect(claimed.some((row) => row.messageId === commands[0]!.messageId)).toBe(false);
    expect(claimed.some((row) => row.messageId === commands[1]!.messageId)).toBe(true);
  });
  it('runs a batch holding a redelivered command again with its claims read first: each effect once, the old reply resent', async () => {
    const sent = new Map<string, number>();
    const batch = createCommandBatchProcessor({
      worker: 'shipping',
      sql: database.sql,
      topology,
      handlers: {
        'shipping.schedule': async ({ sql, sagaId, payload }) => {
          const id = randomUUID();
          await sql`
            insert into shipping.shipments (id, saga_id, order_id, country, address, status)
            values (${id}, ${sagaId}, ${payload.orderId}, 'DE', ${JSON.stringify(payload.address)}::jsonb, 'scheduled')`;
          // A call outside PostgreSQL, after a statement succeeded (see the handler above).
          sent.set(payload.orderId, (sent.get(payload.orderId) ?? 0) + 1);
          return { shipmentId: id };
        },
        'shipping.cancel': async () => ({}),
        'shipping.withdraw': async () => ({ shipmentId: randomUUID() }),
        'shipping.reinstate': async () => ({}),
      },
    });
    const old = schedule();
    const [first] = (await batch([old])).processed;
    const fresh = [schedule(), schedule()];

    // The old command again, between two new ones, one of them twice.
    const { processed, rejected } = await batch([fresh[0]!, old, fresh[1]!, fresh[0]!]);

    expect(rejected).toEqual([]);
    expect(processed.map((p) => [p.command, p.outcome.duplicate])).toEqual([
      [fresh[0], false],
      [old, true],
      [fresh[1], false],
      [fresh[0], true],
    ]);
    expect(processed[1]!.outcome.reply).toEqual(first!.outcome.reply);
    expect(processed[3]!.outcome.reply).toEqual(processed[0]!.outcome.reply);
    const orderOf = (c: (typeof fresh)[number]) => (c.payload as { orderId: string }).orderId;
    expect([old, ...fresh].map((c) => sent.get(orderOf(c)))).toEqual([1, 1, 1]);
    const written = await database.db.select().from(shipments);
    for (const command of [old, ...fresh])
      expect(written.filter((row) => row.sagaId === command.correlationId)).toHaveLength(1);
  });

  describe('claimed with their replies (after the effects, in one statement)', () => {
    const orderOf = (c: ReturnType<typeof schedule>) => (c.payload as { orderId: string }).orderId;
    /** One row per effect that committed: the handler writes it in the batch's transaction. */
    const effectRows = async (orderId: string) =>
      (
        await database.sql<
          { n: number }[]
        >`select count(*)::int as n from public.effect_log where order_id = ${orderId}`
      )[0]!.n;

    beforeAll(async () => {
      await database.sql`create table public.effect_log (order_id uuid not null, at timestamptz not null default now())`;
    });

    function processor(onEffect: () => Promise<void> = async () => undefined) {
      return createCommandBatchProcessor({
        worker: 'shipping',
        sql: database.sql,
        topology,
        claim: 'with-replies',
        handlers: {
          'shipping.schedule': async ({ sql, payload }) => {
            await sql`insert into public.effect_log (order_id) values (${payload.orderId})`;
            await onEffect();
            return { shipmentId: randomUUID() };
          },
          'shipping.cancel': async () => ({}),
          'shipping.withdraw': async () => ({ shipmentId: randomUUID() }),
          'shipping.reinstate': async () => ({}),
        },
      });
    }

    it('answers a redelivered command in a batch with its stored reply and keeps each effect once', async () => {
      const batch = processor();
      const old = schedule();
      const [first] = (await batch([old])).processed;
      const fresh = schedule();

      const { processed, rejected } = await batch([fresh, old, fresh]);

      expect(rejected).toEqual([]);
      expect(processed.map((p) => [p.command, p.outcome.duplicate])).toEqual([
        [fresh, false],
        [old, true],
        [fresh, true],
      ]);
      expect(processed[1]!.outcome.reply).toEqual(first!.outcome.reply);
      expect(processed[2]!.outcome.reply).toEqual(processed[0]!.outcome.reply);
      expect([await effectRows(orderOf(old)), await effectRows(orderOf(fresh))]).toEqual([1, 1]);
      const stored = await inboxOf(database.db, 'shipping');
      expect(stored.find((row) => row.messageId === old.messageId)?.reply).toEqual(first!.outcome.reply);
    });

    it('keeps one effect when two batches run the same new command at once: the later claim rolls its batch back', async () => {
      // Both handlers write their effect before either batch claims: the claims then collide.
      let arrived = 0;
      let bothIn!: () => void;
      const together = new Promise<void>((resolve) => (bothIn = resolve));
      const meet = async () => {
        arrived += 1;
        if (arrived === 2) bothIn();
        await Promise.race([together, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      };
      const command = schedule();

      const outcomes = await Promise.all([processor(meet)([command]), processor(meet)([command])]);

      expect(arrived).toBe(2);
      expect(outcomes.map((o) => o.rejected)).toEqual([[], []]);
      const [a, b] = outcomes.map((o) => o.processed[0]!.outcome);
      expect([a!.duplicate, b!.duplicate].sort()).toEqual([false, true]);
      expect(a!.reply).toEqual(b!.reply);
      expect(await effectRows(orderOf(command))).toBe(1);
    });
  });
});
