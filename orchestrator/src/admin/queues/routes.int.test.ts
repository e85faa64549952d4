import { createServer, type Server } from 'node:net';
import { silentLogger } from '@sagaport/rabbitmq';
import { eventually } from '@sagaport/rabbitmq/testing';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type Queue, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { createAdminApp, defaultAdminSettings } from '@sagaport/admin-api';
import { operatorActionsOf, sagaCatalogOf } from '../../saga/operator-actions.js';
import { sagaRegistry } from '../../saga/sagas.js';

interface QueueList {
  available: boolean;
  error?: string;
  items: Queue[];
}

describe('GET /api/admin/queues (the real RabbitMQ management API)', () => {
  let stack: TestStack;
  let viewer: TestSession;
  beforeAll(async () => {
    stack = await startTestStack();
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  async function queues(session = viewer): Promise<QueueList> {
    const response = await session.request('/queues');
    expect(response.status).toBe(200);
    return (await response.json()) as QueueList;
  }

  /** The admin API of the test stack, asking the management API at `managementUrl` instead. */
  async function sessionWithManagementAt(managementUrl: string) {
    const admin = createAdminApp({
      database: stack.database,
      broker: stack.broker.connection,
      topology: stack.broker.topology,
      operator: operatorActionsOf(stack.orchestrator.engine),
      sagas: sagaCatalogOf(sagaRegistry),
      settings: { ...defaultAdminSettings, managementUrl },
      logger: silentLogger,
    });
    const app = new Hono().route('/api/admin', admin);
    return createTestSession(stack.database.db, app, 'viewer');
  }

  it("lists exactly the test topology's queues, each with its role, type and (once the broker has them) numbers", async () => {
    const { topology } = stack.broker;
    const list = await queues();
    expect(list.available).toBe(true);
    expect(list.items.map((q) => q.name).sort()).toEqual(
      topology.declarations.queues.map((q) => q.name).sort(),
    );
    const byName = new Map(list.items.map((q) => [q.name, q]));
    expect(byName.get(topology.queues.commands.order)).toMatchObject({ role: 'work', type: 'quorum' });
    expect(byName.get(topology.queues.replies)?.role).toBe('replies');
    expect(byName.get(topology.queues.deadLetters[topology.queues.replies]!)?.role).toBe('dead-letter');
    expect(byName.get(Object.values(topology.queues.retry)[0]!)?.role).toBe('retry');
    expect(byName.get(topology.queues.events)).toMatchObject({ role: 'events', type: 'stream' });
    // A new queue has no statistics until the broker's next collection (every 5 s by default).
    const consumers = async () => {
      const items = (await queues()).items;
      const of = (name: string) => items.find((q) => q.name === name)?.consumers;
      return [of(topology.queues.commands.order), of(topology.queues.replies)];
    };
    expect(await eventually(async () => (await consumers()).every((n) => n !== null), 15_000)).toBe(true);
    // No worker runs in the stack; the orchestrator consumes its replies.
    expect(await consumers()).toEqual([0, 1]);
  });

  it('shows a published message in the depth of its queue', async () => {
    const queue = stack.broker.topology.queues.commands.shipping;
    const depth = async () => (await queues()).items.find((q) => q.name === queue)?.messages;
    // The broker refreshes its statistics every few seconds.
    expect(await eventually(async () => (await depth()) === 0, 15_000)).toBe(true);
    const channel = await stack.broker.admin();
    channel.sendToQueue(queue, Buffer.from('{}'), { messageId: 'queues-test' });
    expect(await eventually(async () => (await depth()) === 1, 15_000)).toBe(true);
    const item = (await queues()).items.find((q) => q.name === queue)!;
    expect(item).toMatchObject({ messages: 1, ready: 1, unacked: 0 });
    expect(typeof item.publishRate).toBe('number');
  });

  it('answers available: false with what to check, and null numbers, when nothing listens there', async () => {
    const session = await sessionWithManagementAt('http://guest:secret-pass@127.0.0.1:1');
    const list = await queues(session);
    expect(list.available).toBe(false);
    expect(list.error).toMatch(/could not reach http:\/\/127\.0\.0\.1:1 .*RABBITMQ_MANAGEMENT_URL/);
    expect(list.error).not.toContain('secret-pass');
    expect(list.items).toHaveLength(stack.broker.topology.declarations.queues.length);
    expect(
      list.items.every((q) => q.messages === null && q.consumers === null && q.publishRate === null),
    ).toBe(true);
  });

  it('gives up after 2 seconds on a management API that does not answer', async () => {
    const silent: Server = createServer(() => {}); // accepts connections, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const session = await sessionWithManagementAt(`http://guest:guest@127.0.0.1:${port}`);
      const started = Date.now();
      const list = await queues(session);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(list).toMatchObject({
        available: false,
        error: expect.stringMatching(/did not answer within 2 s/) as string,
      });
    } finally {
      silent.close();
    }
  });

  it('says the credentials were refused when they are wrong', async () => {
    const session = await sessionWithManagementAt('http://guest:wrong-password@127.0.0.1:15672');
    const list = await queues(session);
    expect(list.available).toBe(false);
    expect(list.error).toMatch(/refused the credentials \(401\)/);
  });
});
