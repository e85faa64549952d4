// What the fault tests share: a catalogue with stock to spare, the system started on a broker of
// the test's choosing, a load of mixed checkouts, and the check of the books once the fault is over.
import { PrivateBroker } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { randomUUID } from 'node:crypto';
import { postCheckout } from './client.js';
import { type ManagedProcess, type Product, System } from './harness.js';
import { driveCheckouts, expectedMixedOutcome, expectedMixedTotals, mixedCheckout } from './load.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three products with 5,000 units each; `basePrice` cents for the first, 100 more for each next. */
export function faultCatalogue(basePrice: number) {
  const catalogue: Product[] = ['SKU-001', 'SKU-002', 'SKU-003'].map((sku, i) => ({
    sku,
    priceCents: basePrice + 100 * i,
    available: 5_000,
  }));
  return {
    catalogue,
    initialStock: new Map(catalogue.map((p) => [p.sku, p.available])),
    skus: catalogue.map((p) => p.sku),
  };
}

export type FaultCatalogue = ReturnType<typeof faultCatalogue>;

/** The dead letters, with why each failed: none is expected, and one shown says what went wrong. */
export async function deadLetterRows(system: System) {
  return system.database.sql<Record<string, unknown>[]>`
    select original_queue, message_type, error_class, error_name, error_message, attempts, failed_by
    from dead_letters`;
}

/**
 * Every saga of `sagaIds` (checkout `i` of the mixed load is `sagaIds[i]`) ended as its checkout
 * calls for within `endedWithinMs`, the books are straight, and nothing was dead-lettered.
 */
export async function expectBooksStraight(
  system: System,
  stock: FaultCatalogue,
  sagaIds: readonly string[],
  endedWithinMs = 60_000,
): Promise<void> {
  const report = await settledBooks(system, stock.initialStock, endedWithinMs);
  expect(report.problems).toEqual([]);
  expect(report).toMatchObject(expectedMixedTotals(sagaIds.length));
  expect(await sagaOutcomes(system.database, sagaIds)).toEqual(
    sagaIds.map((_, i) => expectedMixedOutcome(i)),
  );
  expect(await deadLetterRows(system)).toEqual([]);
}

/** {@link expectBooksStraight} bound to one catalogue: `(system, sagaIds, endedWithinMs?)`. */
export function booksCheck(stock: FaultCatalogue) {
  return (system: System, sagaIds: readonly string[], endedWithinMs = 60_000) =>
    expectBooksStraight(system, stock, sagaIds, endedWithinMs);
}

/**
 * A RabbitMQ node of the calling test file's own, started before its tests and disposed after
 * them (see PrivateBroker); returns a getter for it.
 */
export function usePrivateBroker(): () => PrivateBroker {
  let node: PrivateBroker | undefined;
  beforeAll(async () => {
    node = await PrivateBroker.start();
  });
  afterAll(async () => {
    await node?.dispose();
  });
  return () => {
    if (!node) throw new Error('the private broker has not started');
    return node;
  };
}

export interface RunningSystem {
  readonly system: System;
  readonly api: ManagedProcess;
  /** One process running all four workers. */
  readonly workers: ManagedProcess;
}

/**
 * Creates the system (its own database and topology prefix) on `amqpUrl` (the shared broker when
 * absent) and starts the orchestrator and one process of all four workers, each with its own
 * extra environment.
 */
export async function startFaultSystem(
  stock: FaultCatalogue,
  options: {
    readonly amqpUrl?: string;
    readonly env?: Record<string, string>;
    readonly orchestratorEnv?: Record<string, string>;
    readonly workersEnv?: Record<string, string>;
  } = {},
): Promise<RunningSystem> {
  const system = await System.create({
    catalogue: stock.catalogue,
    ...(options.amqpUrl ? { amqpUrl: options.amqpUrl } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  try {
    const api = await system.startOrchestrator(options.orchestratorEnv);
    const workers = await system.startWorkers([], options.workersEnv);
    return { system, api, workers };
  } catch (error) {
    await system.stop();
    throw error;
  }
}

/**
 * Drives `total` mixed checkouts (`concurrency` at a time, each retried with its key through an
 * outage) and runs `fault` once `faultAfter` of them were accepted. Resolves with the saga ids in
 * checkout order once every checkout was accepted and the fault has run its course.
 */
export async function loadWithFault(
  running: Pick<RunningSystem, 'api'>,
  stock: FaultCatalogue,
  options: {
    readonly total: number;
    readonly concurrency: number;
    readonly faultAfter: number;
    readonly fault: () => Promise<void>;
    readonly retryForMs?: number;
  },
): Promise<string[]> {
  let fault: Promise<void> | undefined;
  const sagaIds = await driveCheckouts({
    total: options.total,
    concurrency: options.concurrency,
    port: () => running.api.port,
    body: mixedCheckout(stock.skus),
    retryForMs: options.retryForMs ?? 60_000,
    onAccepted: (n) => {
      if (n !== options.faultAfter) return;
      fault = options.fault();
      fault.catch(() => undefined); // awaited below; a failure shows there, not as an unhandled rejection
    },
  });
  await fault;
  return sagaIds;
}

/**
 * Keeps a load of mixed checkouts going (`concurrency` clients, each pausing `paceMs` between its
 * checkouts) from before `fault` starts (after `faultAfter` accepted) until it has ended, so the
 * fault meets sagas in flight however long it lasts. A checkout that fails (its process is down
 * or frozen) is retried with the same Idempotency-Key. Resolves with the saga ids in checkout
 * order (`[i]` is checkout `i` of the mixed load).
 */
export async function loadThroughFault(
  running: Pick<RunningSystem, 'api'>,
  stock: FaultCatalogue,
  options: {
    readonly concurrency: number;
    readonly paceMs: number;
    readonly faultAfter: number;
    readonly fault: () => Promise<void>;
    readonly retryForMs?: number;
  },
): Promise<string[]> {
  const body = mixedCheckout(stock.skus);
  const sagaIds: string[] = [];
  let next = 0;
  let accepted = 0;
  let fault: Promise<void> | undefined;
  let faultOver = false;
  const client = async () => {
    while (!faultOver) {
      const index = next++;
      const key = randomUUID();
      const deadline = Date.now() + (options.retryForMs ?? 60_000);
      for (;;) {
        try {
          const answer = await postCheckout(running.api.port, body(index), {
            idempotencyKey: key,
          });
          sagaIds[index] = answer.sagaId;
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(200);
        }
      }
      accepted += 1;
      if (accepted === options.faultAfter) {
        fault = options.fault().finally(() => (faultOver = true));
        fault.catch(() => undefined); // awaited below
      }
      await sleep(options.paceMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  await fault;
  return sagaIds;
}

/** The orchestrator's (or a worker process's) /readyz: its status and checks. */
export async function readyz(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return {
    status: response.status,
    body: (await response.json()) as { checks: Record<string, string>; reasons?: Record<string, string> },
  };
}
