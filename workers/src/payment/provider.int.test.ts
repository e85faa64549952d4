// Integration tests of the simulated provider's ledger: the provider's own record of the money it moved.
import { randomUUID } from 'node:crypto';
import { providerCalls } from '@sagaport/db';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerTestDatabase, type WorkerTestDatabase } from '../test-support/database.js';
import { PaymentTestToken, SimulatedPaymentProvider } from './provider.js';

const charge = (token: string, idempotencyKey: string, amountCents = 1_000) => ({
  idempotencyKey,
  token,
  amountCents,
  currency: 'EUR',
});

describe('simulated payment provider with a ledger', () => {
  let database: WorkerTestDatabase;
  beforeAll(async () => {
    database = await createWorkerTestDatabase(4);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const callsOf = (key: string) =>
    database.db
      .select({
        operation: providerCalls.operation,
        status: providerCalls.status,
        reference: providerCalls.reference,
        amountCents: providerCalls.amountCents,
        replayed: providerCalls.replayed,
      })
      .from(providerCalls)
      .where(eq(providerCalls.idempotencyKey, key))
      .orderBy(asc(providerCalls.id));

  it('moves money once per key across providers sharing the ledger (two worker processes, a restart)', async () => {
    const key = randomUUID();
    const first = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
    const second = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
    const answers = await Promise.all([
      first.charge(charge(PaymentTestToken.visa, key)),
      second.charge(charge(PaymentTestToken.visa, key)),
      second.charge(charge(PaymentTestToken.visa, key)),
    ]);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    const reference = (answers[0] as { reference: string }).reference;
    const calls = await callsOf(key);
    expect(calls).toHaveLength(3);
    expect(calls.filter((c) => !c.replayed)).toEqual([
      { operation: 'charge', status: 201, reference, amountCents: 1_000, replayed: false },
    ]);
    expect(calls.filter((c) => c.replayed).map((c) => c.reference)).toEqual([reference, reference]);
  });

  it('writes the calls made in the same turn in one transaction, each with its own answer', async () => {
    const provider = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    const answers = await Promise.all([
      provider.charge(charge(PaymentTestToken.visa, keys[0]!)),
      provider.charge(charge(PaymentTestToken.declined, keys[1]!)),
      provider.charge(charge(PaymentTestToken.visa, keys[2]!)),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 402, 201]);
    const references = answers.flatMap((a) => ('reference' in a ? [a.reference] : []));
    expect(new Set(references).size).toBe(2);
    const rows = await database.sql<{ key: string; reference: string | null; tx: string }[]>`
      select idempotency_key as key, reference, xmin::text as tx from payments.provider_calls
      where idempotency_key in ${database.sql(keys)}`;
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((row) => row.tx)).size).toBe(1);
    expect(rows.find((row) => row.key === keys[1])?.reference).toBeNull();
    expect(rows.find((row) => row.key === keys[0])?.reference).toBe(references[0]);
  });

  it('answers a key repeated within one turn after the turn is written, while another call for the key is in flight', async () => {
    const key = randomUUID();
    // Another provider's charge under the same key, inserted and not yet committed.
    const other = await database.sql.reserve();
    try {
      await other`begin`;
      await other`
        insert into payments.provider_calls (operation, idempotency_key, status, reference, amount_cents, replayed)
        values ('charge', ${key}, 201, 'sim_other', 1000, false)`;
      const provider = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
      const answers = Promise.all([
        provider.charge(charge(PaymentTestToken.visa, key)),
        provider.charge(charge(PaymentTestToken.visa, key)),
      ]);
      // The turn's insert waits for the other call; the repeated one must wait with it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other`commit`;
      expect(await answers).toEqual([
        { status: 201, reference: 'sim_other' },
        { status: 201, reference: 'sim_other' },
      ]);
    } finally {
      other.release();
    }
    expect(await callsOf(key)).toMatchObject([
      { status: 201, reference: 'sim_other', replayed: false },
      { status: 201, reference: 'sim_other', replayed: true },
      { status: 201, reference: 'sim_other', replayed: true },
    ]);
  });

  it('records a charge under a new key as new money, even for the same card and amount', async () => {
    const provider = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
    const [a, b] = [randomUUID(), randomUUID()];
    const first = await provider.charge(charge(PaymentTestToken.visa, a));
    const second = await provider.charge(charge(PaymentTestToken.visa, b));
    expect(first).not.toEqual(second);
    expect(await callsOf(a)).toMatchObject([{ status: 201, replayed: false }]);
    expect(await callsOf(b)).toMatchObject([{ status: 201, replayed: false }]);
  });

  it('records refused and failed calls without a reference, and moves no money for them', async () => {
    const provider = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
    const declined = randomUUID();
    const flaky = randomUUID();
    expect(await provider.charge(charge(PaymentTestToken.declined, declined))).toMatchObject({ status: 402 });
    for (let i = 0; i < 3; i += 1) await provider.charge(charge(PaymentTestToken.flaky, flaky));
    expect(await callsOf(declined)).toEqual([
      { operation: 'charge', status: 402, reference: null, amountCents: 1_000, replayed: false },
    ]);
    expect((await callsOf(flaky)).map((c) => [c.status, c.replayed])).toEqual([
      [503, false],
      [503, false],
      [201, false],
    ]);
  });

  it('refunds a key once, apart from its charge', async () => {
    const provider = new SimulatedPaymentProvider({ slowMs: 0, ledger: database.sql });
    const key = randomUUID();
    const charged = await provider.charge(charge(PaymentTestToken.visa, key, 2_500));
    const refund = { idempotencyKey: key, chargeReference: (charged as { reference: string }).reference };
    const first = await provider.refund({ ...refund, amountCents: 2_500 });
    const again = await provider.refund({ ...refund, amountCents: 2_500 });
    expect(again).toEqual(first);
    const calls = await callsOf(key);
    expect(calls.map((c) => [c.operation, c.status, c.amountCents, c.replayed])).toEqual([
      ['charge', 201, 2_500, false],
      ['refund', 201, 2_500, false],
      ['refund', 201, 2_500, true],
    ]);
  });
});
