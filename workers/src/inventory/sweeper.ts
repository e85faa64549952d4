// The reservation sweeper: releases holds past their expiry and gives their stock back.
import { enqueueOutbox, reservations, type Database } from '@sagaport/db';
import type { Logger, Topology } from '@sagaport/rabbitmq';
import { eventOutboxRow } from '../runtime/messages.js';
import { silentLogger } from '@sagaport/rabbitmq';
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { ReservationStatus } from './reservations.js';
import { restoreStock } from './stock.js';

/**
 * Releases up to `limit` held reservations whose expiry has passed (database clock), restoring
 * their stock, in one transaction; returns how many it released. Rows are taken with
 * `FOR UPDATE SKIP LOCKED`, so several inventory processes sweep side by side without
 * releasing a hold twice, and a hold being committed or released right now is left to that
 * transaction (a committed hold is never released: the status condition excludes it).
 */
export async function sweepExpiredReservations(
  db: Database,
  limit = 100,
  topology?: Topology,
): Promise<number> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .select({
        id: reservations.id,
        lines: reservations.lines,
        orderId: reservations.orderId,
        sagaId: reservations.sagaId,
      })
      .from(reservations)
      .where(and(eq(reservations.status, ReservationStatus.held), lt(reservations.expiresAt, sql`now()`)))
      .orderBy(asc(reservations.expiresAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    if (expired.length === 0) return 0;
    // One merged, sku-ordered restore for the whole batch keeps the product lock order of every other stock move.
    await restoreStock(
      tx,
      expired.flatMap((r) => r.lines),
    );
    await tx
      .update(reservations)
      .set({ status: ReservationStatus.released, updatedAt: sql`now()` })
      .where(
        inArray(
          reservations.id,
          expired.map((r) => r.id),
        ),
      );
    // Each expired hold's `stock.expired`, in the same transaction (the sweep is off the hot path).
    if (topology) {
      await enqueueOutbox(
        tx,
        expired.map((r) =>
          eventOutboxRow(topology, {
            type: 'stock.expired',
            payload: { orderId: r.orderId },
            sequence: 2,
            sagaId: r.sagaId,
          }),
        ),
      );
    }
    return expired.length;
  });
}

export interface SweeperOptions {
  readonly db: Database;
  /** Where `stock.expired` events go; without it none is raised. */
  readonly topology?: Topology;
  readonly intervalMs: number;
  readonly logger?: Logger;
  /** Called with the number of holds each sweep released (for metrics). */
  readonly onReleased?: (count: number) => void;
}

/** A running sweeper; `stop` waits for a sweep in progress to finish. */
export interface Sweeper {
  stop(): Promise<void>;
}

/** Sweeps every `intervalMs`, and again at once while a sweep fills its batch; errors are logged, not fatal. */
export function startReservationSweeper(options: SweeperOptions): Sweeper {
  const log = options.logger ?? silentLogger;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const limit = 100;

  const sweep = async () => {
    try {
      let released: number;
      do {
        released = await sweepExpiredReservations(options.db, limit, options.topology);
        if (released > 0) {
          options.onReleased?.(released);
          log.info({ released }, 'released expired reservations');
        }
      } while (released === limit && !stopped);
    } catch (error) {
      log.warn({ err: error }, 'reservation sweep failed; trying again next interval');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(schedule);
    }, options.intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
