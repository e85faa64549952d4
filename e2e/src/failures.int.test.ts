// Retries, dead letters and replay across the real processes: orchestrator, workers, RabbitMQ, PostgreSQL.
import { eventually } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminLogin, operatorEnv, type AdminClient } from './admin-client.js';
import { checkoutBody, postCheckout } from './client.js';
import { System, type ManagedProcess } from './harness.js';
import { waitForQuiescence } from './quiescence.js';

const catalogue = [{ sku: 'SKU-001', priceCents: 1_250, available: 1_000 }];

interface DeadLetter {
  id: string;
  status: string;
  attempts: number;
  errorClass: string;
  errorMessage: string;
  originalQueue: string;
  originalRoutingKey?: string;
  messageType: string;
  messageId: string;
  failedBy: string;
}
interface Detail extends DeadLetter {
  headers: Record<string, unknown>;
  bodyJson: Record<string, unknown>;
  errorStack: string;
  replayable: { ok: boolean };
  saga: { status: string; currentStep: string | null } | null;
}
interface SagaView {
  saga: { status: string };
  timeline: { kind: string; source: string }[];
  deadLetters: DeadLetter[];
}

describe('failed steps: retries, dead letters and replay (real processes)', () => {
  let system: System;
  let api: ManagedProcess;
  let admin: AdminClient;

  beforeAll(async () => {
    system = await System.create({
      catalogue,
      env: { ...operatorEnv, RETRY_MAX_ATTEMPTS: '3', STEP_TIMEOUT_MS: '60000' },
    });
    api = await system.startOrchestrator();
    await system.startWorkers();
    admin = await adminLogin(api.port);
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  });

  const sagaStatus = async (sagaId: string) => (await admin.get<SagaView>(`/sagas/${sagaId}`)).saga.status;
  const charges = async (sagaId: string) =>
    (
      await system.database.sql<
        { n: number }[]
      >`select count(*)::int as n from payments.charges where saga_id = ${sagaId}`
    )[0]!.n;
  /** The provider's own record of the saga's charge calls: status, and whether money moved. */
  const providerCharges = async (sagaId: string) =>
    (
      await system.database.sql<{ status: number; replayed: boolean }[]>`
        select status, replayed from payments.provider_calls
        where idempotency_key = ${sagaId} and operation = 'charge' order by id`
    ).map((c) => (c.status === 201 && !c.replayed ? 'charged' : c.replayed ? 'repeat' : String(c.status)));

  it('retries a transient failure through the delay tiers, then the saga completes', async () => {
    const answer = await postCheckout(api.port, checkoutBody({ paymentToken: 'tok_flaky' }), {
      waitSeconds: 30,
    });
    expect(answer.status).toBe('completed');
    expect(await charges(answer.sagaId)).toBe(1);
    // Two 503s, then one charge: the retries asked the provider again, and it charged once.
    expect(await providerCharges(answer.sagaId)).toEqual(['503', '503', 'charged']);
    const view = await admin.get<SagaView>(`/sagas/${answer.sagaId}`);
    expect(view.deadLetters).toEqual([]);
    // Both retries show on the saga's timeline.
    expect(
      await eventually(async () => {
        const timeline = (await admin.get<SagaView>(`/sagas/${answer.sagaId}`)).timeline;
        return timeline.filter((e) => e.kind === 'retry.scheduled').length === 2;
      }),
    ).toBe(true);
  });

  it('dead-letters after exactly the configured attempts; a fixed replay completes the saga, once', async () => {
    const answer = await postCheckout(api.port, checkoutBody({ paymentToken: 'tok_unavailable' }));
    const sagaId = answer.sagaId;
    let letters: DeadLetter[] = [];
    expect(
      await eventually(async () => {
        letters = (await admin.get<{ items: DeadLetter[] }>(`/dead-letters?sagaId=${sagaId}`)).items;
        return letters.length > 0;
      }, 30_000),
    ).toBe(true);
    // Nothing in flight any more: no further attempt can still be on its way to a second dead letter.
    await waitForQuiescence(system);
    letters = (await admin.get<{ items: DeadLetter[] }>(`/dead-letters?sagaId=${sagaId}`)).items;
    expect(letters).toHaveLength(1);
    expect(await providerCharges(sagaId)).toEqual(['503', '503', '503']); // exactly the three attempts
    const letter = letters[0]!;
    expect(letter).toMatchObject({
      status: 'open',
      attempts: 3,
      errorClass: 'transient',
      messageType: 'payment.charge',
      originalQueue: `${system.prefix}payment.commands`,
    });
    expect(letter.failedBy).toMatch(/^payment/);
    const detail = await admin.get<Detail>(`/dead-letters/${letter.id}`);
    expect(detail.errorStack).not.toBe('');
    expect(detail.headers['x-original-routing-key']).toBe('payment.charge');
    expect(detail.bodyJson.paymentToken).toBe('tok_unavailable');
    expect(detail.replayable).toEqual({ ok: true });
    expect(detail.saga).toMatchObject({ status: 'running', currentStep: 'chargePayment' });

    // The saga shows it: its dead letter and the retries before it are on its page.
    const before = await admin.get<SagaView>(`/sagas/${sagaId}`);
    expect(before.deadLetters.map((d) => d.id)).toEqual([letter.id]);
    expect(before.timeline.filter((e) => e.kind === 'retry.scheduled')).toHaveLength(2);
    expect(before.timeline.some((e) => e.kind === 'dead-letter.archived')).toBe(true);

    // An edit that breaks the contract is refused with the field, and changes nothing.
    const invalid = await admin.post<{ errors: { field: string }[] }>(`/dead-letters/${letter.id}/replay`, {
      body: { ...detail.bodyJson, amountCents: -5 },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e) => e.field)).toEqual(['body.amountCents']);

    // Fix the cause (a card that works) and replay: the saga completes.
    const fixed = await admin.post(`/dead-letters/${letter.id}/replay`, {
      body: { ...detail.bodyJson, paymentToken: 'tok_visa' },
      reason: 'customer updated their card',
    });
    expect(fixed.status).toBe(202);
    expect(await eventually(async () => (await sagaStatus(sagaId)) === 'completed', 30_000)).toBe(true);
    const again = await admin.post(`/dead-letters/${letter.id}/replay`, {});
    expect(again.status).toBe(409);
    // The refused second replay published nothing; once nothing is in flight, the saga was charged once.
    await waitForQuiescence(system);
    expect(await charges(sagaId)).toBe(1);
    expect(await providerCharges(sagaId)).toEqual(['503', '503', '503', 'charged']);

    const after = await admin.get<SagaView>(`/sagas/${sagaId}`);
    const kinds = after.timeline.map((e) => e.kind);
    expect(kinds).toContain('dead-letter.replayed');
    expect(kinds.indexOf('dead-letter.replayed')).toBeLessThan(kinds.lastIndexOf('saga.completed'));
    expect(after.deadLetters[0]).toMatchObject({ status: 'replayed' });
  });
});
