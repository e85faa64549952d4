// A PostgreSQL transaction whose BEGIN and COMMIT travel with the statements around them: fewer round trips per batch.
import type postgres from 'postgres';

/** Sends COMMIT now, behind the statements already sent; resolves when PostgreSQL answered it. */
export type Commit = () => Promise<void>;

/** A promise's outcome: its value, or the error it rejected with. */
export type Settled<T> = { readonly value: T } | { readonly error: unknown };

/**
 * Waits for `promise` without rejecting. Statements pipelined in one transaction answer in the
 * order they were sent, and the first that fails makes the ones behind it fail too: settling them
 * all and judging them in order lets the caller report the error that explains the others.
 */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** The COMMIT came back as ROLLBACK: a statement sent before it failed, so nothing was written. */
export class TransactionAborted extends Error {
  override readonly name = 'TransactionAborted';
}

/**
 * Runs `work` in a transaction on one reserved connection. On this machine every round trip
 * costs far more CPU (a write syscall and a wake-up on each side) than the statement it
 * carries, so the transaction's BEGIN is sent together with `work`'s first statement, and
 * `work` sends COMMIT itself, together with its last statements, by calling `commit` in the
 * same tick as them and awaiting all of them at once:
 *
 *     const [rows] = await Promise.all([insertSomething(tx), commit()]);
 *
 * Statements reach PostgreSQL in the order they are created: the `tx` given to `work` sends each
 * query the moment it is created. (postgres.js sends a query only once something calls its
 * `then`, and `await` or `Promise.all` call it a microtask later than the array or expression
 * that created it, so a COMMIT created in the same expression would otherwise overtake them.)
 *
 * A statement that fails aborts the transaction in PostgreSQL, so the COMMIT behind it becomes
 * a ROLLBACK: the caller sees the statement's error and nothing is written. Checks that must
 * undo the transaction have to fail inside PostgreSQL, before the COMMIT (a version check that
 * raises an error, for example). If `work` throws before calling `commit`, the transaction is
 * rolled back.
 */
export async function pipelinedTransaction<T>(
  sql: postgres.Sql,
  work: (tx: postgres.ReservedSql, commit: Commit) => Promise<T>,
): Promise<T> {
  const reserved = await sql.reserve();
  const tx = sendingAtOnce(reserved);
  // If the connection closes mid-transaction (PostgreSQL restarted, the network cut), postgres.js
  // never runs the queries still queued on a reserved connection: fail the transaction instead
  // of waiting for them forever, as postgres.js's own `begin` does.
  let connection: PoolConnection | undefined;
  let lost: Error | undefined;
  let onLost!: (error: Error) => void;
  const closed = new Promise<never>((_, reject) => (onLost = reject));
  closed.catch(() => undefined);
  let ended: Promise<unknown> | undefined;
  const commit: Commit = async () => {
    const sent = tx.unsafe('commit');
    ended = sent.catch(() => undefined);
    const result = await Promise.race([sent, closed]);
    if (result.command === 'ROLLBACK') throw new TransactionAborted('the transaction was rolled back');
  };
  try {
    // Not awaited: it leaves in the same write as work's first statement, whose failure reports it.
    const begin = tx.unsafe('begin', [], {
      onexecute: (c: PoolConnection) => {
        connection = c;
        c.onclose = (error?: Error) => {
          lost = Object.assign(new Error('the connection to PostgreSQL closed during the transaction'), {
            code: 'CONNECTION_CLOSED',
            cause: error,
          });
          onLost(lost);
        };
        return true; // keep pipelining: the next statement need not wait for BEGIN's answer
      },
    } as postgres.UnsafeQueryOptions);
    begin.execute().catch(() => undefined);
    const result = await Promise.race([work(tx, commit), closed]);
    if (!ended) await commit();
    return result;
  } catch (error) {
    // Whatever failed, end the transaction on this connection. The error alone does not tell
    // whether this session is over: `work` may also have called something on another connection
    // (a provider's own pool) that lost it. Judged by its code, such an error left this healthy
    // session idle in its transaction, holding its locks for good, while the retried batch waited
    // on them. Only a ROLLBACK that cannot complete means the session is gone.
    if (!ended && !lost) {
      const rolledBack = await Promise.race([tx.unsafe('rollback').then(() => true), closed]).catch(
        () => false,
      );
      // The server ended the session (a FATAL error, a connection exception) and its socket may
      // not have closed yet: never hand it back to the pool; postgres.js reopens it once it closes.
      if (!rolledBack && !lost) lost = error as Error;
    }
    throw error;
  } finally {
    // The COMMIT may still be on its way when a statement before it failed: let it land first.
    // Still watching the connection: a COMMIT queued behind a statement being described is in
    // the reserved connection's own queue, which postgres.js never fails when the connection
    // closes, so only the watch ends this wait then.
    if (!lost) await Promise.race([ended, closed]).catch(() => undefined);
    if (connection) connection.onclose = null;
    // A connection that closed meanwhile is postgres.js's again (it reconnects it); a released
    // one would go back to the pool as if it were open.
    if (!lost) reserved.release();
  }
}

/** The part of postgres.js's connection the transaction watches (set by its `onexecute` hook). */
interface PoolConnection {
  onclose: ((error?: Error) => void) | null;
}

/** `tx`, whose tagged-template queries are sent the moment they are created (see above). */
function sendingAtOnce(tx: postgres.ReservedSql): postgres.ReservedSql {
  return new Proxy(tx, {
    apply(target, thisArg, args) {
      const made: unknown = Reflect.apply(target, thisArg, args);
      // Identifiers and helpers (`tx(name)`, `tx(rows)`) are not queries: they pass through.
      return made instanceof Promise && typeof (made as { execute?: unknown }).execute === 'function'
        ? (made as postgres.PendingQuery<postgres.Row[]>).execute()
        : made;
    },
  });
}
