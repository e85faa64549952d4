// The SQL handle worker effects run on: the batch's postgres.js transaction.
import type postgres from 'postgres';

/**
 * A postgres.js transaction (or, outside a batch, the pool). Tagged templates on it are prepared
 * statements; queries issued without awaiting each other are pipelined on one connection.
 */
export type WorkerSql = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

/** JSON text for a `$n::jsonb` parameter (the pool's jsonb serializer passes strings through). */
export function jsonb(value: unknown): string {
  return JSON.stringify(value);
}
