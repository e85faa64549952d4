// The dead letters of one saga, as the saga detail lists them (newest failure first).
import { deadLetters, type DbExecutor } from '@sagaport/db';
import { desc, eq } from 'drizzle-orm';
import { toSummary } from '../dead-letters/queries.js';
import type { SagaDeadLetter } from './schemas.js';

/** Every dead letter whose message belonged to saga `sagaId`. */
export async function sagaDeadLetters(db: DbExecutor, sagaId: string): Promise<SagaDeadLetter[]> {
  const rows = await db
    .select()
    .from(deadLetters)
    .where(eq(deadLetters.sagaId, sagaId))
    .orderBy(desc(deadLetters.lastFailedAt), desc(deadLetters.id));
  return rows.map(toSummary);
}
