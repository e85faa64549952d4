import { randomUUID } from 'node:crypto';
import { buildMessage } from '@sagaport/rabbitmq';
import { connectAdmin } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from './client.js';
import { System, type ManagedProcess } from './harness.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const SERVER = 2;
const CONSUMER = 5;

async function eventually<T>(read: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The spans of `trace` from its root down, each before its children (parents first, then by start). */
function ancestry(trace: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const chain = [span];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId))
    chain.unshift(parent);
  return chain;
}

describe('tracing across the real processes (OTLP to a receiver in the test)', () => {
  let receiver: OtlpReceiver;
  let system: System;
  let api: ManagedProcess;
  let workers: ManagedProcess;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    system = await System.create({
      catalogue: [
        { sku: 'SKU-T1', priceCents: 1_000, available: 20 },
        { sku: 'SKU-T2', priceCents: 500, available: 20 },
      ],
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'info',
      },
    });
    api = await system.startOrchestrator({ OTEL_SERVICE_NAME: 'test-orchestrator' });
    workers = await system.startWorkers([], { OTEL_SERVICE_NAME: 'test-workers' });
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });

  /** The consume spans of commands and replies (not of domain events), oldest first. */
  const sagaConsumes = (trace: readonly ReceivedSpan[]) => {
    const queues = new Set([
      ...Object.values(system.topology.queues.commands),
      system.topology.queues.replies,
    ]);
    return trace.filter(
      (s) => s.kind === CONSUMER && queues.has(String(s.attributes['messaging.destination.name'])),
    );
  };
  /** Waits for the trace of the checkout that answered `sagaId`: its HTTP span and `consumes` consume spans. */
  const traceOf = async (sagaId: string, consumes: number) => {
    const http = await eventually(() =>
      receiver.spans.find(
        (s) =>
          s.kind === SERVER &&
          receiver.spans.some((t) => t.traceId === s.traceId && t.attributes['saga.id'] === sagaId),
      ),
    );
    // The processes export their spans in batches of their own: wait until the trace is whole
    // (every consume span's chain reaches the HTTP span, every reply has its transition span),
    // or ten seconds, then let the assertions say what is missing.
    const whole = (trace: ReceivedSpan[]) => {
      const found = sagaConsumes(trace);
      const replies = found.filter((s) => s.service === 'test-orchestrator').length;
      return (
        found.length >= consumes &&
        found.every((span) => ancestry(trace, span)[0]?.spanId === http.spanId) &&
        trace.filter((s) => s.name === 'saga reply').length >= replies
      );
    };
    let trace = receiver.trace(http.traceId);
    for (const deadline = Date.now() + 10_000; !whole(trace) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      trace = receiver.trace(http.traceId);
    }
    return { http, trace };
  };

  it('holds one checkout in one trace: the HTTP span, then a consume span for every command and reply, in order, across both processes', async () => {
    const answer = await postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-T1', quantity: 1 }] }), {
      waitSeconds: 20,
    });
    expect(answer.status).toBe('completed');
    // Five steps: five commands and five replies.
    const { http, trace } = await traceOf(answer.sagaId, 10);
    expect(http).toMatchObject({ service: 'test-orchestrator', name: 'POST /checkouts', parentSpanId: '' });
    const consumes = sagaConsumes(trace);
    expect(consumes).toHaveLength(10);
    // Commands are consumed by the workers, replies by the orchestrator, five each.
    const of = (service: string) => consumes.filter((span) => span.service === service);
    expect(of('test-workers')).toHaveLength(5);
    expect(of('test-orchestrator')).toHaveLength(5);
    const isConsume = new Set(consumes.map((span) => span.spanId));
    /** The consume spans a span descends from, of `service`. */
    const consumedBefore = (span: ReceivedSpan, service: string) =>
      ancestry(trace, span).filter((s) => s !== span && isConsume.has(s.spanId) && s.service === service);
    for (const span of consumes) {
      expect(span.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.message.conversation_id': answer.sagaId,
        'saga.id': answer.sagaId,
      });
      // Each consume span descends from the HTTP span; each reply from the command it answers.
      expect(ancestry(trace, span)[0]!.spanId).toBe(http.spanId);
      if (span.service === 'test-orchestrator') expect(consumedBefore(span, 'test-workers')).not.toEqual([]);
    }
    // The order and the stock hold are one stage, sent with the start: two commands descend from
    // no reply; each later command descends from the reply that moved the saga on.
    const sentByReplies = of('test-workers').map((span) => consumedBefore(span, 'test-orchestrator').length);
    expect(sentByReplies.sort((a, b) => a - b)).toEqual([0, 0, 1, 2, 3]);
    const names = trace.map((s) => s.name);
    const listing = trace.map((s) => `${s.service}: ${s.name} ${JSON.stringify(s.attributes)}`).join('\n');
    expect(
      names.filter((n) => n === 'saga start'),
      listing,
    ).toHaveLength(1);
    expect(trace.find((s) => s.name === 'saga start')?.attributes).toMatchObject({
      'saga.step': 'createOrder',
      'saga.steps_in_flight': ['createOrder', 'reserveStock'],
    });
    // One span per committed transition: a decision that lost its version check is not exported.
    expect(
      names.filter((n) => n === 'saga reply'),
      listing,
    ).toHaveLength(5);
    expect(
      names.filter((n) => n.startsWith('effect ')),
      listing,
    ).toHaveLength(5);
    const last = trace.filter((s) => s.name === 'saga reply').at(-1)!;
    expect(last.attributes).toMatchObject({ 'saga.status': 'completed' });
    // For the record: the span names of one saga, in order.
    console.info(
      `trace of saga ${answer.sagaId}:\n${trace.map((s) => `${s.service}: ${s.name}`).join('\n')}`,
    );
  });

  it("holds a compensated saga's compensations in its trace", async () => {
    const answer = await postCheckout(
      api.port,
      checkoutBody({ items: [{ sku: 'SKU-T2', quantity: 1 }], paymentToken: 'tok_declined' }),
      { waitSeconds: 20 },
    );
    expect(answer.status).toBe('compensated');
    // Three steps forward (the charge refused), then two compensations: ten commands and replies.
    const { http } = await traceOf(answer.sagaId, 10);
    const trace = receiver.trace(http.traceId);
    const names = trace.map((s) => s.name);
    expect(names).toContain('effect payment.charge');
    expect(names).toContain('effect inventory.release');
    expect(names).toContain('effect order.cancel');
    expect(
      trace.filter((s) => s.name === 'saga reply' && s.attributes['saga.phase'] === 'compensation').length,
    ).toBeGreaterThanOrEqual(1);
    expect(trace.filter((s) => s.name === 'saga reply').at(-1)?.attributes['saga.status']).toBe(
      'compensated',
    );
  });

  it("writes a dead-lettered message's log lines with its saga id and trace id", async () => {
    const sagaId = randomUUID();
    const traceId = randomUUID().replaceAll('-', '');
    const admin = await connectAdmin();
    const channel = await admin.createConfirmChannel();
    // A command whose payload breaks its contract: dead-lettered at once.
    const message = buildMessage({
      exchange: '',
      routingKey: system.topology.queues.commands.shipping,
      type: 'shipping.schedule',
      payload: { nonsense: true },
      correlationId: sagaId,
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    channel.publish(message.exchange, message.routingKey, message.content, message.properties);
    await channel.waitForConfirms();
    await admin.close();
    const line = await eventually(() =>
      workers.output
        .join('')
        .split('\n')
        .find((l) => l.includes('message dead-lettered') && l.includes(sagaId)),
    );
    expect(JSON.parse(line)).toMatchObject({
      saga_id: sagaId,
      trace_id: traceId,
      message_type: 'shipping.schedule',
    });
  });
});
