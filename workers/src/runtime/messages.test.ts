// Unit tests of the outbox rows a worker writes: routes, saga id, causation and trace headers.
import { buildTopology, Header } from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { delivery } from '../test-support/commands.js';
import { causedHeaders, outboxRowOf } from './messages.js';

const topology = buildTopology({ prefix: 'unit.' });
const sagaId = '6f1c9a57-9f0e-4a52-8b0b-9d7a4f6a1e10';
const orderId = '0b7a0e59-2c1a-4d7f-9e8e-1f3d2c4b5a69';

describe('outbox rows of a worker', () => {
  it('routes a reply to the replies exchange with the saga id and the command as its cause', () => {
    const command = delivery('order.confirm', { orderId }, { sagaId });
    const reply = {
      messageId: 'c2b0f3b4-1d7e-4a3b-9a55-0d9f1a2b3c4d',
      type: 'order.confirm.reply',
      payload: {},
    };
    expect(outboxRowOf(topology, command, sagaId, reply)).toEqual({
      messageId: reply.messageId,
      exchange: 'unit.sagaport.replies',
      routingKey: 'order.confirm.reply',
      messageType: 'order.confirm.reply',
      correlationId: sagaId,
      headers: { [Header.causationId]: command.messageId, [Header.schemaVersion]: 1 },
      payload: {},
    });
  });

  it('routes an event to the events exchange', () => {
    const command = delivery('order.confirm', { orderId }, { sagaId });
    const row = outboxRowOf(topology, command, sagaId, {
      messageId: 'c2b0f3b4-1d7e-4a3b-9a55-0d9f1a2b3c4d',
      type: 'order.confirmed',
      payload: { orderId },
    });
    expect(row).toMatchObject({ exchange: 'unit.sagaport.events', routingKey: 'order.confirmed' });
  });

  it('passes the trace context on and drops headers that are not the envelope', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const command = delivery('order.confirm', { orderId }, { sagaId, traceparent });
    const headers = causedHeaders({
      ...command,
      headers: { ...command.headers, [Header.tracestate]: 'vendor=1', [Header.attempt]: 3 },
    });
    expect(headers).toEqual({
      [Header.causationId]: command.messageId,
      [Header.schemaVersion]: 1,
      [Header.traceparent]: traceparent,
      [Header.tracestate]: 'vendor=1',
    });
  });
});
