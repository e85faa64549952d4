// Dead letters for tests, written straight into the database as the archiver would.
import { randomUUID } from 'node:crypto';
import { deadLetters, type Database } from '@sagaport/db';

/**
 * Archives a dead letter of saga `sagaId` as the archiver would. Give `body` and the original
 * exchange and queue (a test topology's) for a dead letter that can really be replayed.
 */
export async function insertDeadLetter(
  db: Database,
  values: {
    sagaId: string;
    messageType: string;
    messageId: string;
    lastFailedAt?: Date;
    status?: 'open' | 'discarded';
    body?: unknown;
    originalExchange?: string;
    originalQueue?: string;
  },
): Promise<string> {
  const at = values.lastFailedAt ?? new Date();
  const originalQueue = values.originalQueue ?? 'inventory.commands';
  const [row] = await db
    .insert(deadLetters)
    .values({
      failureKey: randomUUID(),
      deadLetterQueue: `${originalQueue}.dlq`,
      originalExchange: values.originalExchange ?? 'sagaport.commands',
      originalRoutingKey: values.messageType,
      originalQueue,
      messageId: values.messageId,
      messageType: values.messageType,
      sagaId: values.sagaId,
      headers: {},
      properties: {},
      body: JSON.stringify(values.body ?? {}),
      bodyEncoding: 'utf8',
      errorClass: 'transient',
      errorName: 'TransientError',
      errorMessage: 'inventory database unavailable',
      attempts: 4,
      firstFailedAt: at,
      lastFailedAt: at,
      failedBy: 'inventory-worker-1',
      fingerprint: 'fp-test',
      fingerprintText: 'inventory database unavailable',
      status: values.status ?? 'open',
    })
    .returning({ id: deadLetters.id });
  return row!.id;
}
