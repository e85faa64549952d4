// The end of a saga reaches a waiting checkout request: with the row when this process ended it, by NOTIFY otherwise.
import { randomUUID } from 'node:crypto';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAGA_ENDED_CHANNEL } from './engine.js';
import { SagaEndedSignal } from './ended-signal.js';
import type { EndedSaga } from './store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SagaEndedSignal', () => {
  let database: MigratedTestDatabase;
  let signal: SagaEndedSignal | undefined;

  beforeEach(async () => {
    database = await createMigratedTestDatabase(2, 'ended-signal');
  });
  afterEach(async () => {
    await signal?.stop();
    await database.dispose();
  });

  const notify = (sagaId: string) =>
    database.sql`select pg_notify(${SAGA_ENDED_CHANNEL}, ${`${sagaId}:completed`})`;

  it('hands the row to the waiter of a saga this process ended, even when the NOTIFY is heard first', async () => {
    signal = new SagaEndedSignal(database, 10_000);
    await signal.start();
    const sagaId = randomUUID();
    const watch = signal.register(sagaId);
    const waited = watch.wait(20_000);

    // The NOTIFY sent by the ending transaction arrives before the engine hears its COMMIT.
    await notify(sagaId);
    await sleep(200);
    const row = { id: sagaId, createdAt: new Date(1), updatedAt: new Date(2) } as EndedSaga;
    signal.endedHere(row);

    expect(await waited).toBe(true);
    expect(watch.endedAs).toBe(row);
  });

  it('wakes the waiter of a saga another process ended from its NOTIFY alone', async () => {
    signal = new SagaEndedSignal(database, 20);
    await signal.start();
    const sagaId = randomUUID();
    const watch = signal.register(sagaId);
    const waited = watch.wait(10_000);

    await notify(sagaId);

    expect(await waited).toBe(true);
    expect(watch.endedAs).toBeUndefined();
  });
});
