import { randomUUID } from 'node:crypto';
import { deadLetters } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { insertDeadLetter } from '../../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

const STACK =
  'TransientError: inventory database unavailable\n    at reserveStock (/srv/sagaport/workers/dist/inventory/handler.js:42:11)';

describe('GET /dead-letters/{id} by role (real PostgreSQL)', () => {
  let stack: TestStack;
  let operator: TestSession;
  let viewer: TestSession;
  let id: string;

  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    id = await insertDeadLetter(stack.database.db, {
      sagaId: randomUUID(),
      messageType: 'inventory.reserve',
      messageId: randomUUID(),
    });
    await stack.database.db
      .update(deadLetters)
      .set({ errorStack: STACK, headers: { 'x-error-stack': STACK, 'x-attempt': 4 } })
      .where(eq(deadLetters.id, id));
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it('gives an operator the stack with its frames', async () => {
    const body = (await (await operator.request(`/dead-letters/${id}`)).json()) as { errorStack: string };
    expect(body.errorStack).toBe(STACK);
  });

  it('gives a viewer the error without stack frames: no server path anywhere in the answer', async () => {
    const response = await viewer.request(`/dead-letters/${id}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('/srv/');
    const body = JSON.parse(text) as { errorStack: string; errorMessage: string };
    expect(body.errorStack).toBe('TransientError: inventory database unavailable');
    expect(body.errorMessage).toBe('inventory database unavailable');
  });
});
