// Integration tests of the shipping worker's rules: served countries only, one shipment per saga, cancel.
import { randomUUID } from 'node:crypto';
import { shipments } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultShippingCountries } from '../config.js';
import { createCommandProcessor } from '../runtime/command-handler.js';
import { address, delivery } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  undeclaredTopology,
  type WorkerTestDatabase,
} from '../test-support/database.js';
import { shippingHandlers } from './handler.js';

const items = [{ sku: 'SKU-001', quantity: 1 }];

describe('shipping worker', () => {
  let database: WorkerTestDatabase;
  let processCommand: ReturnType<typeof createCommandProcessor>;

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    processCommand = createCommandProcessor({
      worker: 'shipping',
      sql: database.sql,
      topology: undeclaredTopology(),
      handlers: shippingHandlers({
        shippingCountries: defaultShippingCountries,
        shippingDispatchDelayMs: 60_000,
      }),
    });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const shipmentsOf = (sagaId: string) =>
    database.db.select().from(shipments).where(eq(shipments.sagaId, sagaId));

  it('schedules one shipment per saga', async () => {
    const sagaId = randomUUID();
    const orderId = randomUUID();
    const first = await processCommand(
      delivery('shipping.schedule', { orderId, address, items }, { sagaId }),
    );
    const second = await processCommand(
      delivery('shipping.schedule', { orderId, address, items }, { sagaId }),
    );
    const rows = await shipmentsOf(sagaId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'scheduled', country: 'DE', orderId });
    expect(first.reply?.payload).toEqual({ outcome: 'succeeded', result: { shipmentId: rows[0]!.id } });
    expect(second.reply?.payload).toEqual(first.reply?.payload);
  });

  it('refuses a country it does not serve (US) and ships nothing', async () => {
    const sagaId = randomUUID();
    const outcome = await processCommand(
      delivery(
        'shipping.schedule',
        { orderId: randomUUID(), address: { ...address, country: 'US' }, items },
        { sagaId },
      ),
    );
    expect(outcome.reply?.payload).toMatchObject({
      outcome: 'failed',
      reason: { code: 'country_not_served' },
    });
    expect(await shipmentsOf(sagaId)).toEqual([]);
  });

  it('cancels a scheduled shipment; a missing one needs no cancelling', async () => {
    const sagaId = randomUUID();
    const orderId = randomUUID();
    await processCommand(delivery('shipping.schedule', { orderId, address, items }, { sagaId }));
    const cancel = await processCommand(delivery('shipping.cancel', { orderId }, { sagaId }));
    expect(cancel.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
    expect((await shipmentsOf(sagaId))[0]?.status).toBe('cancelled');

    const missing = await processCommand(delivery('shipping.cancel', { orderId: randomUUID() }));
    expect(missing.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
  });
});
