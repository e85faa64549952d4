// `npm run projections -- status | pause NAME | resume NAME | replay-parked NAME | rebuild NAME`: the projections from a terminal on a server.
import { userInfo } from 'node:os';
import { createDatabase, loadDbConfig } from '@sagaport/db';
import { buildTopology, connectBroker, loadBrokerConfig, waitForBroker } from '@sagaport/rabbitmq';
import {
  countOpenParked,
  listParked,
  measureLag,
  readCheckpoints,
  readRawEvent,
  setProjectionState,
  type Projection,
} from '@sagaport/runtime';
import { rebuildFromTerminal } from './cli-rebuild.js';
import type postgres from 'postgres';
import { orderHistoryProjection } from './order-history.js';
import { salesAnalyticsProjection } from './sales.js';

const projections: readonly Projection[] = [orderHistoryProjection(), salesAnalyticsProjection()];

const usage = `usage: npm run projections -- <command>
  status               every projection: state, offset, lag (events, seconds), open parked events, last error (JSON lines)
  pause NAME           pause a projection (its runner stops after the batch in progress)
  resume NAME          resume a paused or stopped projection
  replay-parked NAME   apply every open parked event of NAME that reads now; the others stay parked
  rebuild NAME         rebuild NAME from the stream's first event into shadow tables while it serves, then swap
                       them in; prints progress lines, then a JSON summary (exit 1 if it failed or one runs)
Reads DATABASE_URL, AMQP_URL and TOPOLOGY_PREFIX like the processes. Changes are audited as cli:<user>.`;

async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(usage);
    return command ? 0 : 2;
  }
  const known = projections.find((p) => p.name === name);
  if (command !== 'status' && !known) {
    console.error(
      `unknown projection ${JSON.stringify(name ?? null)}; known: ${projections.map((p) => p.name).join(', ')}`,
    );
    return 2;
  }
  const env = process.env;
  const database = createDatabase({
    ...loadDbConfig(env),
    poolMax: 2,
    applicationName: 'sagaport-projections-cli',
  });
  const broker = loadBrokerConfig(env);
  const actor = `cli:${userInfo().username}`;
  const audit = (tx: postgres.TransactionSql, action: string, detail: object) =>
    tx`insert into admin.audit_log (actor_id, actor_email, action, target_type, target_id, detail)
       values (null, ${actor}, ${action}, 'projection', ${name ?? null}, ${JSON.stringify(detail)}::jsonb)`;
  try {
    if (command === 'status') {
      const connection = connectBroker({ url: broker.url, connectionName: 'sagaport-projections-cli' });
      try {
        await waitForBroker(connection, 10_000);
        const topology = buildTopology({ prefix: broker.topologyPrefix });
        const [checkpoints, open] = await Promise.all([
          readCheckpoints(database.sql),
          countOpenParked(database.sql),
        ]);
        const names = [
          ...new Set([...projections.map((p) => p.name), ...checkpoints.map((c) => c.name)]),
        ].sort();
        for (const projection of names) {
          const cp = checkpoints.find((c) => c.name === projection);
          const lag = await measureLag(database.sql, connection, topology.queues.events, projection).catch(
            (error: unknown) => {
              console.error(`${projection}: lag unknown: ${(error as Error).message}`);
              return null;
            },
          );
          console.log(
            JSON.stringify({
              projection,
              state: cp?.state ?? 'running',
              offset: cp?.streamOffset ?? -1,
              stream_end: lag?.streamEnd ?? null,
              lag_events: lag?.events ?? null,
              lag_seconds: lag?.seconds ?? null,
              applied_events: cp?.appliedEvents ?? 0,
              open_parked: open.get(projection) ?? 0,
              last_error: cp?.lastError ?? null,
            }),
          );
        }
      } finally {
        await connection.close();
      }
      return 0;
    }
    if (command === 'rebuild') {
      return await rebuildFromTerminal({ projection: known!, sql: database.sql, broker, actor, audit });
    }
    if (command === 'pause' || command === 'resume') {
      await database.sql.begin(async (tx) => {
        await setProjectionState(tx, name!, command === 'pause' ? 'paused' : 'running');
        await audit(tx, `projection.${command}`, {});
      });
      console.log(`${name}: ${command === 'pause' ? 'paused' : 'running'}`);
      return 0;
    }
    if (command === 'replay-parked') {
      let replayed = 0;
      let unreadable = 0;
      for (const parked of await listParked(database.sql, name!, { limit: 100_000 })) {
        const headers = (
          typeof parked.headers === 'string' ? JSON.parse(parked.headers) : parked.headers
        ) as Record<string, unknown>;
        let body: unknown;
        try {
          body = JSON.parse(parked.body);
        } catch {
          body = undefined;
        }
        let event;
        try {
          event = readRawEvent({
            messageId: parked.messageId,
            type: parked.messageType,
            correlationId: parked.correlationId,
            headers,
            body,
            bodyText: parked.body,
          });
        } catch (error) {
          unreadable += 1;
          console.error(
            `parked ${parked.id} (offset ${parked.streamOffset}) still cannot be read: ${(error as Error).message}`,
          );
          continue;
        }
        await database.sql.begin(async (tx) => {
          const [open] =
            await tx`select 1 from projections.parked_events where id = ${parked.id} and resolved_at is null for update`;
          if (!open) return;
          await known!.apply(tx, [{ offset: parked.streamOffset, event }]);
          await tx`update projections.parked_events set resolution = 'replayed', resolved_by = ${actor}, resolved_at = now() where id = ${parked.id}`;
          await audit(tx, 'projection.parked.replay', {
            parkedId: parked.id,
            streamOffset: parked.streamOffset,
          });
          replayed += 1;
        });
      }
      console.log(JSON.stringify({ projection: name, replayed, still_parked: unreadable }));
      return unreadable > 0 ? 1 : 0;
    }
    console.error(`unknown command ${command}\n${usage}`);
    return 2;
  } finally {
    await database.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
