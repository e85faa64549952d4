// Test helper: a migrated throwaway database per test file, and reads of what the workers wrote.
import { inbox, outbox, type DatabaseHandle, type OutboxMessage } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { buildTopology, type Topology } from '@sagaport/rabbitmq';
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

/** A migrated test database with its connection; `dispose` closes and drops it. */
export type WorkerTestDatabase = MigratedTestDatabase;

/** Creates a fresh database, applies every migration and connects a pool of `poolMax`. */
export function createWorkerTestDatabase(poolMax = 10): Promise<WorkerTestDatabase> {
  return createMigratedTestDatabase(poolMax, 'sagaport-workers-test');
}

/** A prefixed topology for routing outbox rows; declared nowhere (tests that need a broker use the harness). */
export function undeclaredTopology(): Topology {
  return buildTopology({ prefix: `test-${randomUUID()}.` });
}

/** Outbox rows written for the saga, oldest first. */
export async function outboxOf(db: DatabaseHandle['db'], sagaId: string): Promise<OutboxMessage[]> {
  return db.select().from(outbox).where(eq(outbox.correlationId, sagaId)).orderBy(asc(outbox.id));
}

/** Inbox rows of a consumer. */
export async function inboxOf(db: DatabaseHandle['db'], consumer: string) {
  return db.select().from(inbox).where(eq(inbox.consumer, consumer));
}

/**
 * A one-connection client of `url` that records every statement it sends, set up as the workers'
 * pool is (drizzle passes JSON text through to jsonb parameters): for tests that count statements.
 */
export function recordingClient(url: string): { sql: postgres.Sql; statements: string[] } {
  const statements: string[] = [];
  const sql = postgres(url, { max: 1, onnotice: () => {}, debug: (_c, query) => statements.push(query) });
  drizzle(sql);
  return { sql, statements };
}
