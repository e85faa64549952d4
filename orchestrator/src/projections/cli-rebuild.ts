// `npm run projections -- rebuild NAME`: a rebuild run in the terminal, with progress lines and a JSON summary.
import { buildTopology, connectBroker, waitForBroker, type BrokerConfig } from '@sagaport/rabbitmq';
import {
  ProjectionRebuild,
  RebuildAlreadyRunning,
  type Projection,
  type RebuildStatus,
} from '@sagaport/runtime';
import type postgres from 'postgres';

export interface TerminalRebuild {
  readonly projection: Projection;
  readonly sql: postgres.Sql;
  readonly broker: BrokerConfig;
  /** `cli:<user>`: who started it. */
  readonly actor: string;
  /** Writes the audit row in the claim's transaction. */
  readonly audit: (tx: postgres.TransactionSql, action: string, detail: object) => Promise<unknown>;
}

const progressLine = (status: RebuildStatus) => {
  const total = status.targetOffset + 1;
  const percent = total > 0 ? Math.min(100, ((status.streamOffset + 1) / total) * 100) : 100;
  return `${status.projection}: ${status.state}, ${status.appliedEvents} events applied, offset ${status.streamOffset} of ${status.targetOffset} (${percent.toFixed(1)}%)`;
};

/** Runs a rebuild to its end (Ctrl-C stops it: it fails and the live tables stay); returns the exit code. */
export async function rebuildFromTerminal(options: TerminalRebuild): Promise<number> {
  const connection = connectBroker({ url: options.broker.url, connectionName: 'sagaport-projections-cli' });
  try {
    await waitForBroker(connection, 10_000);
    const topology = buildTopology({ prefix: options.broker.topologyPrefix });
    let printedAt = 0;
    let rebuild: ProjectionRebuild;
    try {
      rebuild = await ProjectionRebuild.start({
        projection: options.projection,
        sql: options.sql,
        connection,
        queue: topology.queues.events,
        startedBy: options.actor,
        onClaimed: (tx, claimed) =>
          options.audit(tx, 'projection.rebuild', {
            rebuildId: claimed.id,
            targetOffset: claimed.targetOffset,
          }),
        onProgress: (status) => {
          if (Date.now() - printedAt < 1_000 && status.state !== 'done' && status.state !== 'failed') return;
          printedAt = Date.now();
          console.log(progressLine(status));
        },
      });
    } catch (error) {
      if (!(error instanceof RebuildAlreadyRunning)) throw error;
      console.error(
        `${error.message}, started by ${error.running.startedBy} at ${error.running.startedAt.toISOString()}`,
      );
      return 1;
    }
    console.log(progressLine(rebuild.started));
    const interrupt = () => void rebuild.stop();
    process.once('SIGINT', interrupt);
    const end = await rebuild.finished;
    process.off('SIGINT', interrupt);
    const seconds = ((end.finishedAt ?? new Date()).getTime() - end.startedAt.getTime()) / 1000;
    console.log(
      JSON.stringify({
        projection: end.projection,
        rebuild: end.id,
        state: end.state,
        applied_events: end.appliedEvents,
        stream_offset: end.streamOffset,
        target_offset: end.targetOffset,
        seconds,
        events_per_s: seconds > 0 ? Math.round(end.appliedEvents / seconds) : null,
        error: end.error,
      }),
    );
    return end.state === 'done' ? 0 : 1;
  } finally {
    await connection.close();
  }
}
