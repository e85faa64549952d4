// The rebuilds this process runs for operators: started in the background, stopped with the process.
import type { AmqpConnectionManager, Logger } from '@sagaport/rabbitmq';
import { ProjectionRebuild, type Projection, type RebuildStatus } from '@sagaport/runtime';
import type postgres from 'postgres';

export interface RebuildLauncherOptions {
  readonly sql: postgres.Sql;
  readonly connection: AmqpConnectionManager;
  /** The stream queue (`sagaport.events`). */
  readonly queue: string;
  readonly logger?: Logger;
  readonly batchSize?: number;
}

/** Starts projection rebuilds that run on after the request that asked for them. */
export class RebuildLauncher {
  private readonly running = new Set<ProjectionRebuild>();

  constructor(private readonly options: RebuildLauncherOptions) {}

  /**
   * Claims and starts a rebuild of `projection` (throws `RebuildAlreadyRunning` if one runs);
   * `onClaimed` runs in the claim's transaction. Returns the progress at the start.
   */
  async start(
    projection: Projection,
    startedBy: string,
    onClaimed?: (tx: postgres.TransactionSql, status: RebuildStatus) => Promise<unknown>,
  ): Promise<RebuildStatus> {
    const rebuild = await ProjectionRebuild.start({
      projection,
      sql: this.options.sql,
      connection: this.options.connection,
      queue: this.options.queue,
      startedBy,
      batchSize: this.options.batchSize,
      logger: this.options.logger,
      onClaimed,
    });
    this.running.add(rebuild);
    void rebuild.finished.finally(() => this.running.delete(rebuild));
    return rebuild.started;
  }

  /** Stops the rebuilds in progress (they fail; the live tables stay as they are). */
  async stop(): Promise<void> {
    await Promise.all([...this.running].map((rebuild) => rebuild.stop()));
  }
}
