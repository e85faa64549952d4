// Integration tests of the checkout service's catalogue reads against the real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { sagaInstances } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { buildTopology } from '@sagaport/rabbitmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutData } from '../saga/checkout-saga.js';
import { sagaRegistry } from '../saga/sagas.js';
import { SagaEngine } from '../saga/engine.js';
import type { SagaState } from '../saga/types.js';
import { checkoutBody } from '../test-support/saga-fixtures.js';
import { CheckoutService } from './service.js';

describe('checkout prices (the catalogue cache)', () => {
  let database: MigratedTestDatabase;
  let engine: SagaEngine;
  beforeAll(async () => {
    database = await createMigratedTestDatabase(4, 'checkout-prices');
    engine = new SagaEngine({
      db: database.db,
      sql: database.sql,
      topology: buildTopology({ prefix: `test-${randomUUID()}.` }),
      registry: sagaRegistry,
      stepTimeoutMs: 60_000,
      maxSends: 3,
    });
  });
  afterAll(async () => {
    await database.dispose();
  });

  const setPrice = (sku: string, cents: number) =>
    database.sql`
      insert into inventory.products (sku, name, price_cents, currency, available)
      values (${sku}, ${sku}, ${cents}, 'EUR', 100)
      on conflict (sku) do update set price_cents = excluded.price_cents`;

  /** Starts a checkout of one unit of `sku`; its total, or the field errors. */
  async function total(service: CheckoutService, sku: string) {
    const body = { ...checkoutBody(`cust-${randomUUID()}`), items: [{ sku, quantity: 1 }] };
    const result = await service.start(randomUUID(), body);
    if (result.kind === 'invalid') return result.errors;
    const [row] = await database.db
      .select({ state: sagaInstances.state })
      .from(sagaInstances)
      .where(eq(sagaInstances.id, result.sagaId));
    return (row!.state as SagaState<CheckoutData>).data.totalCents;
  }

  it('reuses a price for catalogueCacheMs, then reads the new one', async () => {
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    const service = new CheckoutService(database.db, database.sql, engine, { catalogueCacheMs: 400 });
    await setPrice(sku, 500);
    expect(await total(service, sku)).toBe(500);
    await setPrice(sku, 700);
    expect(await total(service, sku)).toBe(500);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await total(service, sku)).toBe(700);
  });

  it('reads every price when the cache is off, and never remembers an unknown sku', async () => {
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    const uncached = new CheckoutService(database.db, database.sql, engine, { catalogueCacheMs: 0 });
    const cached = new CheckoutService(database.db, database.sql, engine, { catalogueCacheMs: 60_000 });
    expect(await total(cached, sku)).toEqual([{ field: 'items.0.sku', message: `unknown sku ${sku}` }]);
    await setPrice(sku, 500);
    expect(await total(cached, sku)).toBe(500); // a new product sells at once
    expect(await total(uncached, sku)).toBe(500);
    await setPrice(sku, 900);
    expect(await total(uncached, sku)).toBe(900);
  });
});
