// Outages the failure model must survive: a message that crashes its worker, and PostgreSQL going away under load.
import { PrivatePostgres } from '@sagaport/db/testing';
import { eventually } from '@sagaport/rabbitmq/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from './client.js';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { System } from './harness.js';
import { driveCheckouts, expectedMixedOutcome, expectedMixedTotals, mixedCheckout } from './load.js';

// The outage stops a PostgreSQL server of the test's own (PrivatePostgres: initdb and pg_ctl in a
// temp dir), never the shared one. It runs everywhere PostgreSQL's server binaries are installed
// and fails loudly where they are not.

const catalogue = ['SKU-001', 'SKU-002', 'SKU-003'].map((sku) => ({
  sku,
  priceCents: 700,
  available: 5_000,
}));

describe('outages (real processes, RabbitMQ and PostgreSQL)', () => {
  let system: System | undefined;
  let postgres: PrivatePostgres | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
    await postgres?.dispose();
    postgres = undefined;
  });

  const deadLetterCount = async (current: System) =>
    (await current.database.sql<{ n: number }[]>`select count(*)::int as n from dead_letters`)[0]!.n;

  it('dead-letters a message that kills its worker on every delivery, with the reason; what died with it completes', async () => {
    system = await System.create({
      catalogue,
      env: { AMQP_DELIVERY_LIMIT: '2', STEP_TIMEOUT_MS: '120000', FAULT_CRASH_ON_BODY: 'crash-me' },
    });
    const api = await system.startOrchestrator();
    let workers = await system.startWorkers();
    const poison = await postCheckout(api.port, checkoutBody({ customerId: 'crash-me-please' }));
    // A supervisor's job: restart the workers each time the poison message kills them.
    let crashes = 0;
    const found = await eventually(async () => {
      if (workers.exited) {
        crashes += 1;
        // It may die again before it is even ready: that is the point.
        workers = await system!.startWorkers().catch(() => workers);
      }
      const [row] = await system!.database.sql<{ error_class: string; saga_id: string }[]>`
        select error_class, saga_id from dead_letters
        where saga_id = ${poison.sagaId} and message_type = 'order.create'`;
      return row?.error_class === 'crash-loop';
    }, 90_000);
    expect(found).toBe(true);
    expect(crashes).toBeGreaterThanOrEqual(2); // it really crashed the worker, more than once
    // The workers' suspect lane told it apart (it died running it alone) before the broker's
    // delivery limit did, and said so.
    const [letter] = await system.database.sql<Record<string, unknown>[]>`
      select * from dead_letters where saga_id = ${poison.sagaId} and message_type = 'order.create'`;
    expect(letter).toMatchObject({
      message_type: 'order.create',
      original_queue: `${system.prefix}order.commands`,
      error_class: 'crash-loop',
      error_name: 'CrashLoopError',
      status: 'open',
    });
    expect(String(letter!['error_message'])).toMatch(/died 1 time\(s\) while it ran this message alone/);
    // The stock hold was sent with the order (one stage) and died with the process each time it
    // was in flight beside the order; run alone after it came back, it completed: its reply
    // reached the saga, and nothing but the poison was dead-lettered.
    const held = await eventually(async () => {
      const [reply] = await system!.database.sql<{ n: number }[]>`
        select count(*)::int as n from saga.events
        where saga_id = ${poison.sagaId} and kind = 'reply.received' and message_type = 'inventory.reserve.reply'`;
      return reply!.n === 1;
    }, 30_000);
    expect(held).toBe(true);
    const letters = await system.database.sql<{ type: string }[]>`
      select message_type as type from dead_letters where saga_id = ${poison.sagaId}`;
    expect(letters.map((l) => l.type)).toEqual(['order.create']);
    expect(await system.database.sql`select key from message_crashes`).toHaveLength(0);

    // Once the poison is out of the way, the same workers complete other checkouts.
    if (workers.exited) workers = await system.startWorkers();
    for (let i = 0; i < 3; i += 1) {
      const answer = await postCheckout(api.port, checkoutBody(), { waitSeconds: 30 });
      expect(answer.status).toBe('completed');
    }
    expect(workers.exited).toBe(false);
  }, 180_000);

  it('holds deliveries while PostgreSQL is down for 30 s under load: no dead letter, every saga ends', async () => {
    postgres = await PrivatePostgres.start();
    const server = postgres;
    system = await System.create({
      catalogue,
      env: { STEP_TIMEOUT_MS: '10000' },
      databaseServerUrl: server.url,
    });
    const current = system;
    const api = await system.startOrchestrator();
    await system.startWorkers();
    let stoppedAt = 0;
    let outage: Promise<void> | undefined;
    const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));
    const accepted = await driveCheckouts({
      total: 150,
      concurrency: 8,
      port: () => api.port,
      body: mixedCheckout(catalogue.map((p) => p.sku)),
      retryForMs: 120_000,
      onAccepted: (n) => {
        if (n === 40)
          outage = server
            .outage(30_000, () => (stoppedAt = Date.now()))
            .then(() => console.info(`PostgreSQL back after ${Date.now() - stoppedAt} ms`));
      },
    }).catch((error: unknown) => {
      console.error(api.output.join(''));
      throw error;
    });
    await outage;
    if (api.exited) console.error(api.output.join(''));
    expect(api.exited).toBe(false);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(accepted).toHaveLength(150);
    const report = await settledBooks(current, initialStock, 120_000);
    // The outage was waited out, not retried away: nothing reached a DLQ.
    expect(await deadLetterCount(current)).toBe(0);
    expect(report.problems).toEqual([]);
    // Every saga ended as its checkout calls for: the outage changed no outcome.
    expect(report).toMatchObject(expectedMixedTotals(150));
    expect(await sagaOutcomes(current.database, accepted)).toEqual(
      accepted.map((_, i) => expectedMixedOutcome(i)),
    );
  }, 300_000);
});
