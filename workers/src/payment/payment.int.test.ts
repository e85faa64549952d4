// Integration tests of the payment worker's rules: one charge per saga, declines, 503s, refunds.
import { randomUUID } from 'node:crypto';
import { charges, refunds } from '@sagaport/db';
import { TransientError } from '@sagaport/rabbitmq';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandProcessor, type CommandBatchProcessor } from '../runtime/command-handler.js';
import { delivery, paymentCharge } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  outboxOf,
  undeclaredTopology,
  type WorkerTestDatabase,
} from '../test-support/database.js';
import { createPaymentProcessor, paymentHandlers } from './handler.js';
import { PaymentTestToken, SimulatedPaymentProvider, type ChargeRequest } from './provider.js';

/** The simulated provider, counting the charges it is asked for. */
class CountingProvider extends SimulatedPaymentProvider {
  calls = 0;
  override charge(request: ChargeRequest) {
    this.calls += 1;
    return super.charge(request);
  }
}

describe('payment worker', () => {
  let database: WorkerTestDatabase;
  let processCommand: ReturnType<typeof createCommandProcessor>;
  const provider = new CountingProvider({ slowMs: 50 });

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    processCommand = createCommandProcessor({
      worker: 'payment',
      sql: database.sql,
      topology: undeclaredTopology(),
      handlers: paymentHandlers(provider),
    });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const chargesOf = (sagaId: string) => database.db.select().from(charges).where(eq(charges.sagaId, sagaId));
  const refundsOf = (sagaId: string) => database.db.select().from(refunds).where(eq(refunds.sagaId, sagaId));

  it('charges a saga exactly once: a second charge message gets the first charge without asking the provider', async () => {
    const sagaId = randomUUID();
    const calls = provider.calls;
    const first = await processCommand(
      delivery('payment.charge', paymentCharge(PaymentTestToken.visa), { sagaId }),
    );
    const second = await processCommand(
      delivery('payment.charge', paymentCharge(PaymentTestToken.visa), { sagaId }),
    );
    const rows = await chargesOf(sagaId);
    expect(rows).toHaveLength(1);
    expect(provider.calls - calls).toBe(1);
    expect(first.reply?.payload).toEqual({
      outcome: 'succeeded',
      result: { chargeId: rows[0]!.id, amountCents: 1_999 },
    });
    expect(second.reply?.payload).toEqual(first.reply?.payload);
  });

  it.each([
    [PaymentTestToken.declined, 'card_declined'],
    ['tok_unknown', 'invalid_token'],
  ])('refuses %s as %s and charges nothing', async (token, code) => {
    const sagaId = randomUUID();
    const outcome = await processCommand(delivery('payment.charge', paymentCharge(token), { sagaId }));
    expect(outcome.reply?.payload).toMatchObject({ outcome: 'failed', reason: { code } });
    expect(await chargesOf(sagaId)).toEqual([]);
  });

  it('fails tok_unavailable (provider 503) with a TransientError, leaving no charge, reply or inbox claim', async () => {
    const sagaId = randomUUID();
    const command = delivery('payment.charge', paymentCharge(PaymentTestToken.unavailable), { sagaId });
    await expect(processCommand(command)).rejects.toThrow(TransientError);
    expect(await chargesOf(sagaId)).toEqual([]);
    expect(await outboxOf(database.db, sagaId)).toEqual([]);
  });

  it('charges tok_slow after the configured delay', async () => {
    const sagaId = randomUUID();
    const started = performance.now();
    const outcome = await processCommand(
      delivery('payment.charge', paymentCharge(PaymentTestToken.slow), { sagaId }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(outcome.reply?.payload).toMatchObject({ outcome: 'succeeded' });
    expect(await chargesOf(sagaId)).toHaveLength(1);
  });

  it('refunds a saga without a charge as nothing: refundId null, amount 0, no refund row', async () => {
    const sagaId = randomUUID();
    const outcome = await processCommand(
      delivery('payment.refund', { orderId: randomUUID(), amountCents: 1_999, currency: 'EUR' }, { sagaId }),
    );
    expect(outcome.reply?.payload).toEqual({
      outcome: 'succeeded',
      result: { refundId: null, amountCents: 0 },
    });
    expect(await refundsOf(sagaId)).toEqual([]);
  });

  it('refunds a charge exactly once', async () => {
    const sagaId = randomUUID();
    const charge = paymentCharge(PaymentTestToken.visa, 2_500);
    await processCommand(delivery('payment.charge', charge, { sagaId }));
    const refund = { orderId: charge.orderId, amountCents: 2_500, currency: 'EUR' };
    const first = await processCommand(delivery('payment.refund', refund, { sagaId }));
    const second = await processCommand(delivery('payment.refund', refund, { sagaId }));
    const rows = await refundsOf(sagaId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amountCents: 2_500, chargeId: (await chargesOf(sagaId))[0]!.id });
    expect(first.reply?.payload).toEqual({
      outcome: 'succeeded',
      result: { refundId: rows[0]!.id, amountCents: 2_500 },
    });
    expect(second.reply?.payload).toEqual(first.reply?.payload);
  });

  it('charges once when two charge messages of one saga race', async () => {
    const sagaId = randomUUID();
    // A message that loses the race fails with a TransientError ("charged concurrently") and the
    // consumer delivers it again; here each is tried again the same way, a few times at most.
    const processUntilSettled = async () => {
      const command = delivery('payment.charge', paymentCharge(PaymentTestToken.visa), { sagaId });
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await processCommand(command);
        } catch (error) {
          if (!(error instanceof TransientError) || attempt >= 5) throw error;
        }
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 5 }, processUntilSettled));
    expect(await chargesOf(sagaId)).toHaveLength(1);
    const results = new Set(outcomes.map((o) => JSON.stringify(o.reply?.payload)));
    expect(results.size).toBe(1);
  });
});

describe('payment worker as it runs: the provider asked before the batch transaction', () => {
  let database: WorkerTestDatabase;
  let observer: postgres.Sql;
  let processBatch: CommandBatchProcessor;
  /** For each provider call, the other sessions of the test database inside a transaction when it came. */
  const openTransactions: number[] = [];
  const calls = { charge: 0, refund: 0 };

  /** The simulated provider, noting whether any transaction of ours was open while it was asked. */
  class ObservedProvider extends SimulatedPaymentProvider {
    private async observe() {
      const [row] = await observer<{ open: number }[]>`
        select count(*)::int as open from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null`;
      openTransactions.push(row!.open);
    }
    override async charge(request: ChargeRequest) {
      calls.charge += 1;
      await this.observe();
      return super.charge(request);
    }
    override async refund(request: { idempotencyKey: string; chargeReference: string; amountCents: number }) {
      calls.refund += 1;
      await this.observe();
      return super.refund(request);
    }
  }

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    observer = postgres(database.url, { max: 1 });
    processBatch = createPaymentProcessor({
      sql: database.sql,
      topology: undeclaredTopology(),
      provider: new ObservedProvider({ slowMs: 50 }),
    });
  });
  afterAll(async () => {
    await observer?.end();
    await database?.dispose();
  });

  const replyOf = (outcome: Awaited<ReturnType<CommandBatchProcessor>>, messageId: string) =>
    outcome.processed.find((p) => p.command.messageId === messageId)?.outcome.reply?.payload;

  it('asks the provider with no transaction open, once per saga, and answers every command of the batch', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const chargeA = delivery('payment.charge', paymentCharge(PaymentTestToken.visa), { sagaId: a });
    const batch = [
      chargeA,
      delivery('payment.charge', paymentCharge(PaymentTestToken.declined), { sagaId: b }),
      delivery('payment.charge', paymentCharge(PaymentTestToken.visa, 500), { sagaId: c }),
      // Another message for saga a: it gets a's charge.
      delivery('payment.charge', chargeA.payload as ReturnType<typeof paymentCharge>, { sagaId: a }),
    ];
    openTransactions.length = 0;
    const before = calls.charge;
    const outcome = await processBatch(batch);

    expect(calls.charge - before).toBe(3);
    expect(openTransactions).toEqual([0, 0, 0]);
    expect(outcome.rejected).toEqual([]);
    const [rowA] = await database.db.select().from(charges).where(eq(charges.sagaId, a));
    const [rowC] = await database.db.select().from(charges).where(eq(charges.sagaId, c));
    expect(replyOf(outcome, batch[0]!.messageId)).toEqual({
      outcome: 'succeeded',
      result: { chargeId: rowA!.id, amountCents: 1_999 },
    });
    expect(replyOf(outcome, batch[3]!.messageId)).toEqual(replyOf(outcome, batch[0]!.messageId));
    expect(replyOf(outcome, batch[1]!.messageId)).toMatchObject({
      outcome: 'failed',
      reason: { code: 'card_declined' },
    });
    expect(replyOf(outcome, batch[2]!.messageId)).toEqual({
      outcome: 'succeeded',
      result: { chargeId: rowC!.id, amountCents: 500 },
    });
    expect(await database.db.select().from(charges).where(eq(charges.sagaId, b))).toEqual([]);
  });

  it('answers a redelivered charge from the inbox without asking the provider again', async () => {
    const command = delivery('payment.charge', paymentCharge(PaymentTestToken.visa), {
      sagaId: randomUUID(),
    });
    const first = await processBatch([command]);
    const before = calls.charge;
    const again = await processBatch([command]);
    expect(calls.charge).toBe(before);
    expect(again.processed[0]!.outcome).toMatchObject({ duplicate: true });
    expect(replyOf(again, command.messageId)).toEqual(replyOf(first, command.messageId));
  });

  it('refunds with the provider asked before the transaction, once', async () => {
    const sagaId = randomUUID();
    await processBatch([delivery('payment.charge', paymentCharge(PaymentTestToken.visa, 2_500), { sagaId })]);
    openTransactions.length = 0;
    const before = calls.refund;
    const refund = delivery(
      'payment.refund',
      { orderId: randomUUID(), amountCents: 2_500, currency: 'EUR' },
      { sagaId },
    );
    const outcome = await processBatch([refund]);
    expect(calls.refund - before).toBe(1);
    expect(openTransactions).toEqual([0]);
    const rows = await database.db.select().from(refunds).where(eq(refunds.sagaId, sagaId));
    expect(rows).toHaveLength(1);
    expect(replyOf(outcome, refund.messageId)).toEqual({
      outcome: 'succeeded',
      result: { refundId: rows[0]!.id, amountCents: 2_500 },
    });
    // Refunded: a second refund message asks the provider nothing.
    await processBatch([
      delivery('payment.refund', { orderId: randomUUID(), amountCents: 2_500, currency: 'EUR' }, { sagaId }),
    ]);
    expect(calls.refund - before).toBe(1);
  });
});
