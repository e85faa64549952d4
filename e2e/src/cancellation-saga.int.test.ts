import { randomUUID } from 'node:crypto';
import { dispatchShipment } from '@sagaport/workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCancellation, postCheckout } from './client.js';
import { settledBooks } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';

const catalogue = [
  { sku: 'SKU-001', priceCents: 1_250, available: 50 },
  { sku: 'SKU-002', priceCents: 400, available: 50 },
];
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));

describe('the order-cancellation saga end to end (real processes, broker and database)', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue });
    api = await system.startOrchestrator();
    // tok_slow keeps a checkout running for three seconds: long enough to try cancelling it.
    await system.startWorkers([], { PAYMENT_SLOW_MS: '3000' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const available = async (sku: string) =>
    (
      await system.database.sql<{ available: number }[]>`
        select available from inventory.products where sku = ${sku}`
    )[0]!.available;

  /** A completed checkout of two SKU-001 and one SKU-002 (2,900 cents). */
  async function confirmedOrder() {
    const answer = await postCheckout(
      api.port,
      checkoutBody({
        items: [
          { sku: 'SKU-001', quantity: 2 },
          { sku: 'SKU-002', quantity: 1 },
        ],
      }),
      { waitSeconds: 20 },
    );
    expect(answer.status).toBe('completed');
    return answer;
  }

  /** What the workers hold for the order placed by `checkoutId`. */
  async function effectsOf(checkoutId: string, orderId: string) {
    const { sql } = system.database;
    return {
      order: (await sql`select status, cancel_reason from orders.orders where id = ${orderId}`)[0],
      hold: (await sql`select status from inventory.reservations where order_id = ${orderId}`)[0],
      shipment: (await sql`select status from shipping.shipments where saga_id = ${checkoutId}`)[0],
      refunds: await sql`select amount_cents from payments.refunds where saga_id = ${checkoutId}`,
      providerRefunds: await sql`
        select amount_cents from payments.provider_calls
        where idempotency_key = ${checkoutId} and operation = 'refund' and status = 201 and not replayed`,
    };
  }

  const cancellationsOf = (orderId: string) =>
    system.database.sql<{ id: string; status: string }[]>`
      select id, status from saga.instances
      where saga_type = 'order-cancellation' and business_keys ->> 'orderId' = ${orderId}`;

  const expectBooksStraight = async () => {
    const report = await settledBooks(system, initialStock);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ running: 0, failed: 0 });
  };

  it('cancels a confirmed order: shipment withdrawn, refunded in full, stock back, order cancelled', async () => {
    const checkout = await confirmedOrder();
    const before = [await available('SKU-001'), await available('SKU-002')];
    const answer = await postCancellation(api.port, checkout.orderId, {
      reason: 'ordered the wrong size',
      waitSeconds: 20,
    });
    expect(answer.httpStatus).toBe(200);
    expect(answer.body).toMatchObject({ status: 'completed', reason: null, orderId: checkout.orderId });
    expect(answer.headers.get('location')).toBe(`/checkouts/${answer.body.sagaId}`);
    expect(await effectsOf(checkout.sagaId, checkout.orderId)).toEqual({
      order: { status: 'cancelled', cancel_reason: 'ordered the wrong size' },
      hold: { status: 'returned' },
      shipment: { status: 'withdrawn' },
      refunds: [{ amount_cents: 2_900 }],
      providerRefunds: [{ amount_cents: 2_900 }],
    });
    expect([await available('SKU-001'), await available('SKU-002')]).toEqual([
      before[0]! + 2,
      before[1]! + 1,
    ]);
    const events = await system.database.sql<{ kind: string; message_type: string | null }[]>`
      select kind, message_type from saga.events where saga_id = ${answer.body.sagaId!} and kind = 'command.sent'
      order by id`;
    expect(events.map((e) => e.message_type)).toEqual([
      'shipping.withdraw',
      'payment.reimburse',
      'inventory.restock',
      'order.revoke',
    ]);
    // Cancelled again: refused, pointing at the cancellation that did it.
    const again = await postCancellation(api.port, checkout.orderId);
    expect(again.httpStatus).toBe(409);
    expect(again.body).toMatchObject({ title: 'Order already cancelled', sagaId: answer.body.sagaId });
    await expectBooksStraight();
  });

  it('refuses to cancel a shipped order: the saga ends rejected with the reason, nothing changed', async () => {
    // Shipped because the worker was told so, and because the dispatch time passed.
    const toldSo = await confirmedOrder();
    expect(await dispatchShipment(system.database.sql, toldSo.orderId)).toBe(true);
    const timePassed = await confirmedOrder();
    await system.database.sql`
      update shipping.shipments set ship_after = now() - interval '1 second' where saga_id = ${timePassed.sagaId}`;
    for (const checkout of [toldSo, timePassed]) {
      const stock = await available('SKU-001');
      const answer = await postCancellation(api.port, checkout.orderId, { waitSeconds: 20 });
      expect(answer.httpStatus).toBe(200);
      expect(answer.body).toMatchObject({
        status: 'rejected',
        reason: { code: 'already_shipped', message: expect.stringMatching(/has shipped/) as string },
      });
      expect(await effectsOf(checkout.sagaId, checkout.orderId)).toEqual({
        order: { status: 'confirmed', cancel_reason: null },
        hold: { status: 'committed' },
        shipment: { status: 'shipped' },
        refunds: [],
        providerRefunds: [],
      });
      expect(await available('SKU-001')).toBe(stock);
    }
    await expectBooksStraight();
  });

  it('starts one saga for the same cancellation sent twice with one key', async () => {
    const checkout = await confirmedOrder();
    const key = randomUUID();
    const [first, second] = await Promise.all([
      postCancellation(api.port, checkout.orderId, { idempotencyKey: key, waitSeconds: 20 }),
      postCancellation(api.port, checkout.orderId, { idempotencyKey: key, waitSeconds: 20 }),
    ]);
    expect(first.body.sagaId).toBe(second.body.sagaId);
    const later = await postCancellation(api.port, checkout.orderId, {
      idempotencyKey: key,
      waitSeconds: 20,
    });
    expect(later).toMatchObject({
      httpStatus: 200,
      body: { sagaId: first.body.sagaId, status: 'completed' },
    });
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(await cancellationsOf(checkout.orderId)).toEqual([{ id: first.body.sagaId, status: 'completed' }]);
    const reused = await postCancellation(api.port, checkout.orderId, {
      idempotencyKey: key,
      reason: 'other',
    });
    expect(reused).toMatchObject({ httpStatus: 409, body: { title: 'Idempotency-Key reused' } });
    await expectBooksStraight();
  });

  it('lets one of two concurrent cancellations win; the other is told why', async () => {
    const checkout = await confirmedOrder();
    const answers = await Promise.all(
      [0, 1].map(() => postCancellation(api.port, checkout.orderId, { waitSeconds: 20 })),
    );
    const won = answers.filter((a) => a.httpStatus === 200 && a.body.status === 'completed');
    const lost = answers.filter((a) => a !== won[0]);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    // Refused at the door (the winner had started), or by the shipping worker (both had started).
    const loser = lost[0]!;
    if (loser.httpStatus === 409) {
      expect(loser.body).toMatchObject({ sagaId: won[0]!.body.sagaId });
      expect(loser.body.detail).toMatch(/cancelled by saga|being cancelled by saga/);
    } else {
      expect(loser.body).toMatchObject({
        status: 'rejected',
        reason: {
          code: 'shipment_withdrawn',
          message: expect.stringMatching(/another cancellation/) as string,
        },
      });
    }
    const sagas = await cancellationsOf(checkout.orderId);
    expect(sagas.filter((s) => s.status === 'completed')).toHaveLength(1);
    expect((await effectsOf(checkout.sagaId, checkout.orderId)).providerRefunds).toEqual([
      { amount_cents: 2_900 },
    ]);
    await expectBooksStraight();
  });

  it('refuses a cancellation while the checkout is still running, with a clear problem', async () => {
    const running = await postCheckout(api.port, checkoutBody({ paymentToken: 'tok_slow' }));
    expect(running.status).toBe('running');
    const answer = await postCancellation(api.port, running.orderId, { waitSeconds: 5 });
    expect(answer.httpStatus).toBe(409);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ title: 'Order not confirmed yet', sagaId: running.sagaId });
    expect(answer.body.detail).toMatch(
      /is still running at \w+; cancel the order once its checkout has completed/,
    );
    expect(await cancellationsOf(running.orderId)).toEqual([]);
    await expectBooksStraight();
  });

  it('answers bad requests with problem+json naming the field', async () => {
    const unknown = await postCancellation(api.port, randomUUID());
    expect(unknown).toMatchObject({ httpStatus: 404, body: { title: 'Not found' } });
    const checkout = await confirmedOrder();
    const long = await postCancellation(api.port, checkout.orderId, { reason: 'x'.repeat(501) });
    expect(long.httpStatus).toBe(422);
    expect(long.body.errors).toEqual([{ field: 'reason', message: expect.any(String) as string }]);
    const extra = await postCancellation(api.port, checkout.orderId, { body: '{"refund":false}' });
    expect(extra.httpStatus).toBe(422);
    expect(JSON.stringify(extra.body.errors)).toMatch(/refund/);
    const notUuid = await postCancellation(api.port, 'order-1');
    expect(notUuid).toMatchObject({ httpStatus: 404, body: { errors: [{ field: 'orderId' }] } });
  });
});
