// The consumers' crash ledger in PostgreSQL: which redelivered message a process was running alone when it died.
import type postgres from 'postgres';

/** What the suspect lane needs of a ledger (`CrashLedger` of `@sagaport/rabbitmq`). */
export interface PostgresCrashLedger {
  begin(key: string): Promise<number>;
  end(key: string): Promise<void>;
}

/**
 * A crash ledger on `message_crashes`: `begin` commits a run of the message before it starts and
 * returns the earlier runs that never ended (each a process that died running it alone); `end`
 * deletes the row. Each call is one statement in a transaction of its own, so the record is
 * durable before the message runs. The table stays empty but for the messages running alone now.
 */
export function postgresCrashLedger(sql: postgres.Sql): PostgresCrashLedger {
  return {
    async begin(key) {
      const [row] = await sql<{ earlier: number }[]>`
        insert into message_crashes (key, runs) values (${key}, 1)
        on conflict (key) do update set runs = message_crashes.runs + 1, last_run_at = now()
        returning runs - 1 as earlier`;
      return row?.earlier ?? 0;
    },
    async end(key) {
      await sql`delete from message_crashes where key = ${key}`;
    },
  };
}
