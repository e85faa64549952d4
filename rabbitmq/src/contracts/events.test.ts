// Unit tests of reading domain events: metadata, the v1 → v2 upcast of payment.charged, and what breaks a contract.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EventContractError, EventHeader, eventHeaders, eventVersions, readEvent } from './events.js';

const orderId = randomUUID();
const chargeId = randomUUID();
const raw = (type: string, body: unknown, headers: Record<string, unknown>) => ({
  messageId: randomUUID(),
  type,
  correlationId: randomUUID(),
  headers,
  body,
});

describe('readEvent', () => {
  it('reads a current payment.charged (v2) as it is, with its metadata', () => {
    const headers = eventHeaders(
      'payment.charged',
      { aggregateId: orderId, sequence: 1 },
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(headers[EventHeader.version]).toBe(2);
    const event = readEvent(
      raw('payment.charged', { orderId, chargeId, amount: { cents: 1250, currency: 'EUR' } }, headers),
    );
    expect(event).toMatchObject({
      type: 'payment.charged',
      writtenVersion: 2,
      aggregateType: 'payment',
      aggregateId: orderId,
      sequence: 1,
      occurredAt: new Date('2026-01-02T03:04:05Z'),
      payload: { orderId, chargeId, amount: { cents: 1250, currency: 'EUR' } },
    });
  });

  it('upcasts a v1 payment.charged to the current shape', () => {
    const headers = {
      ...eventHeaders('payment.charged', { aggregateId: orderId, sequence: 1 }),
      [EventHeader.version]: 1,
    };
    const event = readEvent(
      raw('payment.charged', { orderId, chargeId, amountCents: 990, currency: 'SEK' }, headers),
    );
    expect(event.writtenVersion).toBe(1);
    expect(event.payload).toEqual({ orderId, chargeId, amount: { cents: 990, currency: 'SEK' } });
  });

  it('names what is wrong: a v1 body broken, a v2 body sent as v1, a newer version, a missing header, an unknown type', () => {
    const v1 = {
      ...eventHeaders('payment.charged', { aggregateId: orderId, sequence: 1 }),
      [EventHeader.version]: 1,
    };
    expect(() =>
      readEvent(raw('payment.charged', { orderId, chargeId, amountCents: -1, currency: 'EUR' }, v1)),
    ).toThrow(/payment.charged v1: payload.amountCents/);
    expect(() =>
      readEvent(raw('payment.charged', { orderId, chargeId, amount: { cents: 1, currency: 'EUR' } }, v1)),
    ).toThrow(EventContractError);
    const newer = { ...v1, [EventHeader.version]: eventVersions['payment.charged'] + 1 };
    expect(() => readEvent(raw('payment.charged', {}, newer))).toThrow(/newer than 2/);
    const { [EventHeader.sequence]: _dropped, ...noSequence } = eventHeaders('order.confirmed', {
      aggregateId: orderId,
      sequence: 2,
    });
    expect(() => readEvent(raw('order.confirmed', { orderId }, noSequence))).toThrow(
      /headers.x-aggregate-sequence/,
    );
    expect(() => readEvent(raw('order.shipped', { orderId }, {}))).toThrow(
      /unknown event type "order.shipped"/,
    );
  });
});
