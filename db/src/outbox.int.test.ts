// Integration tests: the outbox is transactional, wakes the relay at commit, and lets relays claim rows without overlap.
import { randomUUID } from 'node:crypto';
import { sql as dsql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OUTBOX_CHANNEL,
  claimOutboxBatch,
  deferOutboxMessages,
  deleteOutboxMessages,
  enqueueOutbox,
  outboxBacklog,
  type NewOutboxMessage,
} from './outbox.js';
import { outbox } from './schema/index.js';
import { deferred, within } from './test-support/concurrency.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from './test-support/database.js';

class Rollback extends Error {}

function command(overrides: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return {
    messageId: randomUUID(),
    exchange: 'sagaport.commands',
    routingKey: 'payment.charge',
    messageType: 'payment.charge',
    correlationId: randomUUID(),
    payload: { amountCents: 1999 },
    ...overrides,
  };
}

describe('outbox', () => {
  let database: MigratedTestDatabase;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    await database.db.delete(outbox);
  });

  const allIds = async () =>
    (await database.db.select({ id: outbox.id }).from(outbox).orderBy(outbox.id)).map((r) => r.id);

  /** Collects payloads on OUTBOX_CHANNEL until a notification carrying `marker` arrives. */
  async function notificationsUntilMarker(work: (marker: string) => Promise<void>) {
    const received: string[] = [];
    const marker = `marker-${randomUUID()}`;
    const sawMarker = deferred();
    const listener = await database.sql.listen(OUTBOX_CHANNEL, (payload) => {
      received.push(payload);
      if (payload === marker) sawMarker.resolve();
    });
    try {
      await work(marker);
      // Notifications reach a listener in commit order, so once the marker (sent last) is
      // here, every notification the work could have produced is here too.
      await database.sql`select pg_notify(${OUTBOX_CHANNEL}, ${marker})`;
      await within(5_000, 'the marker notification', sawMarker.promise);
      return { received, marker };
    } finally {
      await listener.unlisten();
    }
  }

  it('keeps nothing when the enqueuing transaction rolls back', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await enqueueOutbox(tx, [command(), command()]);
        expect(await tx.select().from(outbox)).toHaveLength(2);
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(await allIds()).toEqual([]);
  });

  it('stores every field and notifies listeners at commit, not before', async () => {
    const message = command({ headers: { traceparent: '00-abc-def-01' } });
    const { received, marker } = await notificationsUntilMarker(async () => {
      await database.db.transaction(async (tx) => {
        await enqueueOutbox(tx, [message]);
        // Sent and committed while the enqueue is still uncommitted.
        await database.sql`select pg_notify(${OUTBOX_CHANNEL}, 'before-commit')`;
      });
    });
    expect(received).toEqual(['before-commit', '', marker]);

    const [stored] = await database.db.select().from(outbox);
    expect(stored).toMatchObject({ ...message, attempts: 0, lastError: null });
  });

  it('wakes nobody for a rolled-back or an empty enqueue', async () => {
    const { received, marker } = await notificationsUntilMarker(async () => {
      await expect(
        database.db.transaction(async (tx) => {
          await enqueueOutbox(tx, [command()]);
          throw new Rollback();
        }),
      ).rejects.toBeInstanceOf(Rollback);
      await database.db.transaction((tx) => enqueueOutbox(tx, []));
    });
    expect(received).toEqual([marker]);
    expect(await allIds()).toEqual([]);
  });

  it('claims due messages oldest first and leaves messages not yet due', async () => {
    await enqueueOutbox(database.db, [
      command({ routingKey: 'first' }),
      command({ routingKey: 'later', availableAt: new Date(Date.now() + 60_000) }),
      command({ routingKey: 'second' }),
    ]);
    const claimed = await database.db.transaction((tx) => claimOutboxBatch(tx, 10));
    expect(claimed.map((message) => message.routingKey)).toEqual(['first', 'second']);
    expect(claimed[0]!.id).toBeLessThan(claimed[1]!.id);

    const limited = await database.db.transaction((tx) => claimOutboxBatch(tx, 1));
    expect(limited.map((message) => message.routingKey)).toEqual(['first']);
  });

  it('never gives the same row to two relays claiming at the same time', async () => {
    await enqueueOutbox(
      database.db,
      Array.from({ length: 100 }, (_, i) => command({ payload: { i } })),
    );
    const bothClaimed = [deferred(), deferred()] as const;
    // Each relay holds its row locks until both have claimed, so the claims truly overlap.
    const relay = (index: 0 | 1) =>
      database.db.transaction(async (tx) => {
        const rows = await claimOutboxBatch(tx, 60);
        bothClaimed[index].resolve();
        await within(5_000, 'the other relay to claim', Promise.all(bothClaimed.map((d) => d.promise)));
        return rows.map((row) => row.id);
      });
    const [first, second] = await Promise.all([relay(0), relay(1)]);

    expect(first.filter((id) => second.includes(id))).toEqual([]);
    // How the 100 rows split depends on how the two scans interleave; each takes at most its limit.
    expect(Math.max(first.length, second.length)).toBeLessThanOrEqual(60);
    expect([...first, ...second].sort((a, b) => a - b)).toEqual(await allIds());
  });

  it('deletes exactly the given messages', async () => {
    await enqueueOutbox(database.db, [command(), command(), command()]);
    const [a, b, c] = await allIds();
    await deleteOutboxMessages(database.db, [a!, c!]);
    await deleteOutboxMessages(database.db, []);
    expect(await allIds()).toEqual([b]);
  });

  it('defers failed messages: counts the attempt, keeps the error, hides them for the delay', async () => {
    await enqueueOutbox(database.db, [command(), command()]);
    const [failed, healthy] = await allIds();

    await deferOutboxMessages(database.db, [failed!], 'channel closed', 60_000);
    const [row] = await database.db
      .select({
        attempts: outbox.attempts,
        lastError: outbox.lastError,
        delaySeconds: dsql<number>`extract(epoch from (${outbox.availableAt} - now()))::float8`,
      })
      .from(outbox)
      .where(dsql`${outbox.id} = ${failed}`);
    expect(row).toMatchObject({ attempts: 1, lastError: 'channel closed' });
    expect(row!.delaySeconds).toBeGreaterThan(55);
    expect(row!.delaySeconds).toBeLessThanOrEqual(60);

    const claimable = await database.db.transaction((tx) => claimOutboxBatch(tx, 10));
    expect(claimable.map((message) => message.id)).toEqual([healthy]);

    await deferOutboxMessages(database.db, [failed!], 'still closed', 0);
    const again = await database.db.transaction((tx) => claimOutboxBatch(tx, 10));
    expect(again.map((message) => [message.id, message.attempts, message.lastError])).toEqual([
      [failed, 2, 'still closed'],
      [healthy, 0, null],
    ]);
  });

  it('reports the backlog size and the age of the oldest message', async () => {
    expect(await outboxBacklog(database.db)).toEqual({ count: 0, oldestAgeSeconds: null });

    await enqueueOutbox(database.db, [command(), command(), command()]);
    await database.db
      .update(outbox)
      .set({ createdAt: dsql`now() - interval '90 seconds'` })
      .where(dsql`${outbox.id} = (select min(id) from outbox)`);

    const backlog = await outboxBacklog(database.db);
    expect(backlog.count).toBe(3);
    expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(backlog.oldestAgeSeconds).toBeLessThan(100);
  });
});
