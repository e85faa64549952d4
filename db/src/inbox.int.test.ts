// Integration tests: the inbox lets exactly one delivery of a message take effect and replays its reply to the rest.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimInbox, storeInboxReply, type InboxDelivery } from './inbox.js';
import { eventually, within } from './test-support/concurrency.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from './test-support/database.js';

class Rollback extends Error {}

function delivery(overrides: Partial<InboxDelivery> = {}): InboxDelivery {
  return {
    consumer: 'payment',
    messageId: randomUUID(),
    messageType: 'payment.charge',
    correlationId: randomUUID(),
    ...overrides,
  };
}

describe('inbox', () => {
  let database: MigratedTestDatabase;

  beforeAll(async () => {
    database = await createMigratedTestDatabase(8);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** Resolves once some session of this database is waiting for a row lock. */
  const someoneWaitsForALock = () =>
    eventually(5_000, 'a transaction blocked on the inbox key', async () => {
      const [row] = await database.sql<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      return (row?.waiting ?? 0) > 0;
    });

  it('answers a redelivery with the reply stored the first time', async () => {
    const message = delivery();
    const reply = { type: 'payment.charge.succeeded', chargeId: 'ch_1', amountCents: 1999 };

    const first = await database.db.transaction(async (tx) => {
      const claim = await claimInbox(tx, message);
      if (claim.firstDelivery) await storeInboxReply(tx, { ...message, reply });
      return claim;
    });
    expect(first).toEqual({ firstDelivery: true });

    const redelivery = await database.db.transaction((tx) => claimInbox(tx, message));
    expect(redelivery).toEqual({ firstDelivery: false, reply });
  });

  it('reports a null reply when the first delivery stored none', async () => {
    const message = delivery({ correlationId: null });
    await database.db.transaction((tx) => claimInbox(tx, message));
    expect(await database.db.transaction((tx) => claimInbox(tx, message))).toEqual({
      firstDelivery: false,
      reply: null,
    });
  });

  it('deduplicates per consumer: the same message is new to another consumer', async () => {
    const messageId = randomUUID();
    await database.db.transaction((tx) => claimInbox(tx, delivery({ consumer: 'payment', messageId })));
    const other = await database.db.transaction((tx) =>
      claimInbox(tx, delivery({ consumer: 'inventory', messageId })),
    );
    expect(other).toEqual({ firstDelivery: true });
  });

  it('forgets a claim whose transaction rolled back, so the redelivery is processed', async () => {
    const message = delivery();
    await expect(
      database.db.transaction(async (tx) => {
        expect(await claimInbox(tx, message)).toEqual({ firstDelivery: true });
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(await database.db.transaction((tx) => claimInbox(tx, message))).toEqual({
      firstDelivery: true,
    });
  });

  it('lets exactly one of several concurrent deliveries take effect; the others get its reply', async () => {
    const message = delivery();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, worker) =>
        database.db.transaction(async (tx) => {
          const claim = await claimInbox(tx, message);
          if (claim.firstDelivery) await storeInboxReply(tx, { ...message, reply: { worker } });
          return { worker, claim };
        }),
      ),
    );
    const winners = outcomes.filter((outcome) => outcome.claim.firstDelivery);
    expect(winners).toHaveLength(1);
    const winnerReply = { worker: winners[0]!.worker };
    for (const outcome of outcomes.filter((o) => !o.claim.firstDelivery)) {
      expect(outcome.claim).toEqual({ firstDelivery: false, reply: winnerReply });
    }
  });

  it('makes a concurrent duplicate wait for the first transaction and return its committed reply', async () => {
    const message = delivery();
    let duplicate: Promise<unknown> | undefined;
    await database.db.transaction(async (tx) => {
      expect(await claimInbox(tx, message)).toEqual({ firstDelivery: true });
      duplicate = database.db.transaction((other) => claimInbox(other, message));
      await someoneWaitsForALock();
      await storeInboxReply(tx, { ...message, reply: { status: 'succeeded' } });
    });
    await expect(within(5_000, 'the duplicate', duplicate!)).resolves.toEqual({
      firstDelivery: false,
      reply: { status: 'succeeded' },
    });
  });

  it('makes a concurrent duplicate the first delivery when the first transaction rolls back', async () => {
    const message = delivery();
    let duplicate: Promise<unknown> | undefined;
    await expect(
      database.db.transaction(async (tx) => {
        await claimInbox(tx, message);
        duplicate = database.db.transaction((other) => claimInbox(other, message));
        await someoneWaitsForALock();
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    await expect(within(5_000, 'the duplicate', duplicate!)).resolves.toEqual({
      firstDelivery: true,
    });
  });

  it('refuses to store a reply for a message that was never claimed', async () => {
    await expect(
      storeInboxReply(database.db, { ...delivery(), reply: { status: 'succeeded' } }),
    ).rejects.toThrow(/call claimInbox first/);
  });
});
