// Fixtures for the sagas API's integration tests: start checkouts, answer their commands, archive dead letters.
import { randomUUID } from 'node:crypto';
import { sagaEvents, sagaInstances, type Database } from '@sagaport/db';
import { and, desc, eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import type { SagaEngine } from '../saga/engine.js';
import { inFlight } from '../saga/transition.js';
import type { SagaState } from '../saga/types.js';

/** A valid checkout for `customerId` (2 × SKU-001 at 500 cents: 1000 EUR cents). */
export function checkoutBody(customerId: string, email = `${customerId}@example.com`) {
  return {
    customerId,
    email,
    items: [{ sku: 'SKU-001', quantity: 2 }],
    paymentToken: 'tok_visa',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: 'Main 1',
      city: 'Berlin',
      postalCode: '10115',
      country: 'DE',
    },
  };
}

/** POSTs /checkouts and returns the saga id; without workers the saga then awaits order.create. */
export async function startCheckout(app: Pick<Hono, 'request'>, customerId: string, email?: string) {
  const response = await app.request('/checkouts', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(checkoutBody(customerId, email)),
  });
  if (response.status !== 202)
    throw new Error(`checkout refused: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

export async function sagaState(db: Database, sagaId: string): Promise<SagaState> {
  const [row] = await db
    .select({ state: sagaInstances.state })
    .from(sagaInstances)
    .where(eq(sagaInstances.id, sagaId));
  if (!row) throw new Error(`no saga ${sagaId}`);
  return row.state as SagaState;
}

/** The command the saga awaits, with the payload it was sent with (from its `command.sent` row). */
export async function awaitedCommand(db: Database, sagaId: string) {
  const awaiting = (await sagaState(db, sagaId)).awaiting;
  if (!awaiting) throw new Error(`saga ${sagaId} awaits nothing`);
  const [sent] = await db
    .select({ payload: sagaEvents.detail })
    .from(sagaEvents)
    .where(and(eq(sagaEvents.sagaId, sagaId), eq(sagaEvents.messageId, awaiting.messageId)))
    .orderBy(desc(sagaEvents.id))
    .limit(1);
  if (!sent) throw new Error(`saga ${sagaId}: no command.sent row for ${awaiting.messageId}`);
  return { ...awaiting, payload: sent.payload };
}

const results: Record<string, Record<string, unknown>> = {
  'inventory.reserve': { reservationId: 'r-test', expiresAt: '2030-01-01T00:00:00Z' },
  'payment.charge': { chargeId: 'ch-test', amountCents: 1000 },
  'shipping.schedule': { shipmentId: 's-test' },
};

/**
 * Answers the command the saga awaits, as its worker would: succeeded, or a business refusal. A
 * refusal refuses every command in flight (a stage of several steps refuses as a whole), so the
 * saga goes on to compensate the steps before it; a success answers the awaited command only, so
 * the saga stops at each step of a stage in turn (createOrder, then reserveStock).
 */
export async function answerAwaited(
  db: Database,
  engine: SagaEngine,
  sagaId: string,
  outcome: 'succeeded' | 'failed',
): Promise<void> {
  const state = await sagaState(db, sagaId);
  if (!state.awaiting) throw new Error(`saga ${sagaId} awaits nothing`);
  const answered = outcome === 'succeeded' ? [state.awaiting] : inFlight(state);
  await engine.handleReplies(
    answered.map((command) => ({
      sagaId,
      ref: command.messageId,
      reply: {
        type: `${command.type}.reply`,
        messageId: randomUUID(),
        causationId: command.messageId,
        body:
          outcome === 'succeeded'
            ? { outcome, result: results[command.type] ?? {} }
            : { outcome, reason: { code: 'refused', message: `${command.type} refused in a test` } },
      },
    })),
  );
}

/** Drives a new saga to `failed`: order created, stock refused, then the order cancellation refused. */
export async function failedSaga(
  app: Pick<Hono, 'request'>,
  db: Database,
  engine: SagaEngine,
  customerId: string,
) {
  const sagaId = await startCheckout(app, customerId);
  await answerAwaited(db, engine, sagaId, 'succeeded');
  await answerAwaited(db, engine, sagaId, 'failed');
  await answerAwaited(db, engine, sagaId, 'failed');
  return sagaId;
}

export { insertDeadLetter } from '@sagaport/admin-api/testing';
