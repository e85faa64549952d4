import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Change, createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startCheckout } from '../../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import type { CheckoutData } from '../../saga/checkout-saga.js';

function burstData(): CheckoutData {
  return {
    orderId: randomUUID(),
    customerId: `burst-${randomUUID()}`,
    email: 'burst@example.com',
    items: [{ sku: 'SKU-001', quantity: 1, unitPriceCents: 500 }],
    currency: 'EUR',
    totalCents: 500,
    shippingAddress: { name: 'Ada', line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
    paymentToken: 'tok_visa',
  };
}

interface ServerEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: string;
}

/** An open GET /live: its events as they come, and the comment lines it received. */
class Stream {
  readonly events: ServerEvent[] = [];
  comments = 0;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly reading: Promise<void>;

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader();
    this.reading = this.read();
  }

  private async read() {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await this.reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) this.comments += 1;
          else {
            const at = line.indexOf(':');
            fields[line.slice(0, at)] = (fields[line.slice(0, at)] ?? '') + line.slice(at + 1).trimStart();
          }
        }
        if (fields.event || fields.data)
          this.events.push({ event: fields.event ?? 'message', id: fields.id, data: fields.data ?? '' });
      }
    }
  }

  changes(): Change[] {
    return this.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as Change);
  }

  async until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`stream: condition not met; events ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close() {
    await this.reader.cancel();
    await this.reading;
  }
}

describe('live updates: GET /api/admin/live (real PostgreSQL NOTIFY, in-process orchestrator)', () => {
  let stack: TestStack;
  let operator: TestSession;
  let viewer: TestSession;
  const open: Stream[] = [];
  const stream = async (session: TestSession, headers: Record<string, string> = {}) => {
    const response = await stack.orchestrator.app.request('/api/admin/live', {
      headers: { cookie: session.cookie, ...headers },
    });
    if (response.status !== 200) return response;
    const s = new Stream(response);
    open.push(s);
    await s.until(() => s.events.length > 0);
    return s;
  };
  const opened = async (session: TestSession, headers?: Record<string, string>) => {
    const s = await stream(session, headers);
    if (!(s instanceof Stream)) throw new Error(`GET /live answered ${s.status}`);
    return s;
  };

  beforeAll(async () => {
    stack = await startTestStack({}, { liveHeartbeatMs: 300, liveStreamsPerSession: 3 });
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
  });
  afterAll(async () => {
    for (const s of open) await s.close();
    await stack?.cleanup();
  });

  it('a burst of 1,000 saga transitions reaches a console as a handful of coalesced messages', async () => {
    const console = await opened(operator);
    const started = Date.now();
    const ids = new Set<string>();
    // Straight into the engine (as the checkout API does, without its pricing round trip).
    const queue = Array.from({ length: 1_000 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (queue.pop() !== undefined) {
          const sagaId = randomUUID();
          await stack.orchestrator.engine.start('checkout', {
            idempotencyKey: randomUUID(),
            requestHash: 'burst',
            sagaId,
            data: burstData(),
          });
          ids.add(sagaId);
        }
      }),
    );
    const burstMs = Date.now() - started;
    const total = () => console.changes().reduce((sum, c) => sum + (c.sagas?.count ?? 0), 0);
    await console.until(() => total() >= 1_000);
    const messages = console.changes().filter((c) => c.sagas).length;
    console.events.length = 0;
    // The figure the docs quote.
    process.stdout.write(
      `live stream: 1,000 saga transitions in ${burstMs} ms reached the console as ${messages} messages\n`,
    );
    expect(total()).toBe(0);
    // One message per 200 ms window at most, and never one per saga.
    expect(messages).toBeLessThanOrEqual(Math.ceil(burstMs / 200) + 2);
    if (burstMs <= 1_000) expect(messages).toBeLessThanOrEqual(20);
    expect(ids.size).toBe(1_000);
  }, 60_000);

  it('names the sagas that moved, and carries the event id a reconnect resumes from', async () => {
    const console = await opened(operator);
    const hello = console.events[0]!;
    expect(hello).toMatchObject({ event: 'hello' });
    const sagaId = await startCheckout(stack.orchestrator.app, `one-${randomUUID()}`);
    await console.until(() => console.changes().some((c) => c.sagas?.ids.includes(sagaId)));
    const change = console.events.find((e) => e.event === 'change')!;
    expect(change.id).toMatch(/^[0-9a-z]+\.\d+$/);
    // Resuming from the hello: the change it missed comes again, nothing asks for a refetch.
    const resumed = await opened(operator, { 'last-event-id': hello.id! });
    await resumed.until(() => resumed.changes().some((c) => c.sagas?.ids.includes(sagaId)));
    expect(resumed.events.some((e) => e.event === 'resync')).toBe(false);
    await resumed.close();
    await console.close();
  });

  it('asks a stream it cannot resume to refetch everything', async () => {
    const s = await opened(operator, { 'last-event-id': 'someone-else.42' });
    await s.until(() => s.events.some((e) => e.event === 'resync'));
    await s.close();
  });

  it("a viewer's stream carries what a viewer may read, never operator-only changes", async () => {
    const operatorStream = await opened(operator);
    const viewerStream = await opened(viewer);
    const other = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    const response = await operator.request(`/users/${other.userId}`, {
      method: 'PATCH',
      body: { disabled: true },
    });
    expect(response.status).toBe(200);
    const sagaId = await startCheckout(stack.orchestrator.app, `viewer-${randomUUID()}`);
    await operatorStream.until(() => operatorStream.changes().some((c) => c.users));
    await viewerStream.until(() => viewerStream.changes().some((c) => c.sagas?.ids.includes(sagaId)));
    await viewerStream.until(() => viewerStream.changes().some((c) => c.audit));
    expect(viewerStream.changes().some((c) => c.users)).toBe(false);
    expect(viewerStream.events.map((e) => e.data).join('')).not.toContain(other.userId);
    await operatorStream.close();
    await viewerStream.close();
  });

  it('keeps the stream open with comment lines, and bounds the streams of one session', async () => {
    const streams = [await opened(viewer), await opened(viewer), await opened(viewer)];
    await streams[0]!.until(() => streams[0]!.comments >= 2, 3_000);
    const refused = await stream(viewer);
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(429);
    expect(await (refused as Response).json()).toMatchObject({ title: 'Too many live streams' });
    await streams[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await opened(viewer);
    for (const s of [...streams.slice(1), again]) await s.close();
  });

  it('refuses a stream without a session', async () => {
    const response = await stack.orchestrator.app.request('/api/admin/live');
    expect(response.status).toBe(401);
  });
});
