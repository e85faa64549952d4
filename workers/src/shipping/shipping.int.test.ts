// Integration tests of the shipping worker's rules: served countries only, one shipment per saga, cancel.
import { randomUUID } from 'node:crypto';
import { shipments } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultShippingCountries } from '../config.js';
import { createCommandBatchProcessor, createCommandProcessor } from '../runtime/command-handler.js';
import { address, delivery } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  recordingClient,
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

  it('schedules a batch shipments with one statement: a saga scheduled twice in the batch gets one shipment', async () => {
    const { sql, statements } = recordingClient(database.url);
    try {
      const processBatch = createCommandBatchProcessor({
        worker: 'shipping',
        sql,
        topology: undeclaredTopology(),
        handlers: shippingHandlers({
          shippingCountries: defaultShippingCountries,
          shippingDispatchDelayMs: 60_000,
        }),
        claim: 'with-replies', // as the shipping worker runs
      });
      const [sagaA, sagaB] = [randomUUID(), randomUUID()];
      const [orderA, orderB] = [randomUUID(), randomUUID()];
      const commands = [
        delivery('shipping.schedule', { orderId: orderA, address, items }, { sagaId: sagaA }),
        delivery('shipping.schedule', { orderId: orderB, address, items }, { sagaId: sagaB }),
        delivery('shipping.schedule', { orderId: orderA, address, items }, { sagaId: sagaA }),
        delivery('shipping.schedule', {
          orderId: randomUUID(),
          address: { ...address, country: 'US' },
          items,
        }),
      ];
      const outcome = await processBatch(commands);
      expect(statements.filter((q) => /insert into shipping\.shipments/.test(q))).toHaveLength(1);
      const [rowsA, rowsB] = [await shipmentsOf(sagaA), await shipmentsOf(sagaB)];
      expect([rowsA.length, rowsB.length]).toEqual([1, 1]);
      const replies = commands.map(({ messageId }) => {
        const reply = outcome.processed.find((p) => p.command.messageId === messageId)?.outcome.reply
          ?.payload as { outcome: string; result?: unknown; reason?: { code: string } } | undefined;
        return reply?.outcome === 'succeeded'
          ? `ok ${JSON.stringify(reply.result)}`
          : `failed ${reply?.reason?.code}`;
      });
      expect(replies).toEqual([
        `ok {"shipmentId":"${rowsA[0]!.id}"}`,
        `ok {"shipmentId":"${rowsB[0]!.id}"}`,
        `ok {"shipmentId":"${rowsA[0]!.id}"}`,
        'failed country_not_served',
      ]);
      expect(rowsA[0]).toMatchObject({ status: 'scheduled', orderId: orderA, country: 'DE' });
    } finally {
      await sql.end();
    }
  });
});
