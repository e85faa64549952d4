import { auditLog, deadLetters, sagaInstances } from '@sagaport/db';
import { desc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditConditions,
  createTestSession,
  searchCondition,
  selectSummaries,
  type TestSession,
  whereOf,
} from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../test-support/stack.js';
import { sagaRegistry } from '../saga/sagas.js';

/** Rows per table: enough that a sequential scan costs far more than an index lookup. */
const ROWS = 20_000;
const TIMEOUT_MS = 300;

describe('admin text filters: indexes and the admin pool’s statement timeout (real PostgreSQL)', () => {
  let stack: TestStack;
  let viewer: TestSession;

  beforeAll(async () => {
    stack = await startTestStack({}, { statementTimeoutMs: TIMEOUT_MS, databasePoolSize: 2 });
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    const db = stack.database.db;
    await db.execute(sql`
      insert into dead_letters (failure_key, dead_letter_queue, original_exchange, original_routing_key,
        original_queue, message_id, message_type, headers, properties, body, body_encoding, error_class,
        error_name, error_message, attempts, first_failed_at, last_failed_at, failed_by, fingerprint,
        fingerprint_text)
      select 'k' || n, 'inventory.commands.dlq', 'sagaport.commands', 'inventory.reserve', 'inventory.commands',
             md5(n::text), 'inventory.reserve', '{}', '{}',
             json_build_object('orderId', md5('order' || n), 'sku', 'SKU-' || n)::text, 'utf8', 'transient',
             'TransientError', 'stock service timed out after ' || n || ' ms', 4, now(), now() - n * interval '1 s',
             'inventory-worker', 'fp' || (n % 10), 'stock service timed out'
        from generate_series(1, ${ROWS}) as n`);
    await db.execute(sql`
      insert into admin.audit_log (actor_email, action, target_type)
      select 'operator' || n || '@example.com', 'dead-letter.replay', 'dead-letter'
        from generate_series(1, ${ROWS}) as n`);
    await db.execute(sql`
      insert into saga.instances (id, saga_type, status, state, business_keys)
      select gen_random_uuid(), 'checkout', 'completed', '{}',
        jsonb_build_object('customerId', 'customer-' || n, 'email', 'Customer' || n || '@Example.com')
        from generate_series(1, ${ROWS}) as n`);
    // As autovacuum would: moves the GIN indexes' pending entries into the index proper.
    await db.execute(sql`vacuum analyze dead_letters`);
    await db.execute(sql`vacuum analyze admin.audit_log`);
    await db.execute(sql`vacuum analyze saga.instances`);
  }, 120_000);
  afterAll(async () => {
    await stack.cleanup();
  });

  /** The plan PostgreSQL picks for `query` on the admin pool, with its values bound as the API binds them. */
  async function planOf(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
    const { sql: text, params } = query.toSQL();
    const rows = await stack.adminDatabase.sql.unsafe(`explain (format json) ${text}`, params as never[]);
    return JSON.stringify(rows[0]);
  }

  it('serves the dead-letter text search (error, message id, body) from trigram indexes, not a scan', async () => {
    const db = stack.adminDatabase.db;
    const plan = await planOf(
      db
        .select()
        .from(deadLetters)
        .where(whereOf({ q: 'SKU-12345' }))
        .orderBy(desc(deadLetters.lastFailedAt), desc(deadLetters.id))
        .limit(51),
    );
    expect(plan).toContain('dead_letters_body_trgm_idx');
    expect(plan).toContain('dead_letters_error_message_trgm_idx');
    expect(plan).toContain('dead_letters_message_id_trgm_idx');
    expect(plan).not.toContain('Seq Scan');
  });

  it('serves the audit actor filter from a trigram index', async () => {
    const plan = await planOf(
      stack.adminDatabase.db
        .select()
        .from(auditLog)
        .where(auditConditions({ actor: 'operator12345@', limit: 50 }, undefined))
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(51),
    );
    expect(plan).toContain('audit_log_actor_trgm_idx');
    expect(plan).not.toContain('Seq Scan');
  });

  it('finds a saga by email, ignoring case, through the business keys index', async () => {
    const query = selectSummaries(stack.adminDatabase.db)
      .where(searchCondition('customer12345@EXAMPLE.com', sagaRegistry.keyNames()))
      .orderBy(desc(sagaInstances.createdAt), desc(sagaInstances.id))
      .limit(51);
    const plan = await planOf(query);
    expect(plan).toContain('instances_business_keys_idx');
    expect(plan).not.toContain('Seq Scan');
    expect((await query).map((s) => s.businessKeys.email)).toEqual(['Customer12345@Example.com']);
  });

  it('cuts a slow admin query at the statement timeout (503 problem+json) while the engine’s pool waits as long as it must', async () => {
    // A transaction holding dead_letters exclusively makes every read of the table wait.
    await stack.database.sql.begin(async (tx) => {
      await tx`lock table dead_letters in access exclusive mode`;
      const started = Date.now();
      const answer = await Promise.race([
        viewer.request('/dead-letters?q=timed%20out'),
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000)),
      ]);
      expect(answer, 'the admin query is cancelled, not left waiting').not.toBe('hung');
      const response = answer as Response;
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await response.json()) as { detail: string };
      expect(problem.detail).toMatch(/Narrow the filter/);
      expect(Date.now() - started).toBeLessThan(3_000);
    });
    // The engine's pool has no such limit: a statement longer than the admin timeout completes.
    const [setting] = await stack.database.sql`show statement_timeout`;
    expect(setting!.statement_timeout).toBe('0');
    const slow = await stack.database.sql`select pg_sleep(${(TIMEOUT_MS * 2) / 1000}) as slept`;
    expect(slow).toHaveLength(1);
    // And the admin API answers again once the table is free.
    expect((await viewer.request('/dead-letters?q=timed%20out&limit=1')).status).toBe(200);
  });
});
