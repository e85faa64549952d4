import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { buildMessage, parseInbound } from './envelope.js';

function delivered(message: ReturnType<typeof buildMessage>, content = message.content): ConsumeMessage {
  return {
    content,
    fields: {
      deliveryTag: 1,
      redelivered: false,
      exchange: message.exchange,
      routingKey: message.routingKey,
      consumerTag: 'c',
    },
    properties: { headers: {}, ...message.properties },
  } as unknown as ConsumeMessage;
}

const orderId = randomUUID();
const valid = buildMessage({
  exchange: 'sagaport.commands',
  routingKey: 'order.confirm',
  type: 'order.confirm',
  payload: { orderId },
  correlationId: randomUUID(),
  causationId: 'cause',
});

describe('parseInbound', () => {
  it('accepts a message that honours its envelope and contract', () => {
    const message = parseInbound(delivered(valid), sagaContracts);
    expect(message.payload).toEqual({ orderId });
    expect(message.attempt).toBe(1);
    expect(message.headers['x-causation-id']).toBe('cause');
  });

  it('names invalid JSON', () => {
    expect(() => parseInbound(delivered(valid, Buffer.from('{"orderId":')), sagaContracts)).toThrow(
      /InvalidJson|not valid JSON/,
    );
  });

  it('names an unknown type', () => {
    const unknown = { ...valid, properties: { ...valid.properties, type: 'order.explode' } };
    expect(() => parseInbound(delivered(unknown), sagaContracts)).toThrow(
      /unknown message type "order.explode"/,
    );
  });

  it('names the field that breaks the contract', () => {
    const bad = buildMessage({ ...valid, type: 'order.confirm', payload: { orderId: 'nope', extra: 1 } });
    expect(() => parseInbound(delivered({ ...bad, exchange: 'x', routingKey: 'y' }), sagaContracts)).toThrow(
      /payload\.orderId/,
    );
  });

  it('refuses an envelope without a message id or schema version', () => {
    const noId = { ...valid, properties: { ...valid.properties, messageId: undefined as unknown as string } };
    expect(() => parseInbound(delivered(noId), sagaContracts)).toThrow(/properties\.messageId/);
    const noVersion = { ...valid, properties: { ...valid.properties, headers: {} } };
    expect(() => parseInbound(delivered(noVersion), sagaContracts)).toThrow(/x-schema-version/);
  });
});
