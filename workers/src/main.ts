// `node workers/dist/main.js [order inventory payment shipping]`: runs the named workers, or all of them.
import { startTracing } from '@sagaport/runtime';
import { loadWorkerConfig } from './config.js';
import { runWorkerProcess } from './runtime/process.js';
import { selectWorkers } from './selection.js';

async function main(): Promise<void> {
  // First: the consumers ask at construction whether to trace (OTEL_TRACES_EXPORTER; off when unset).
  const tracing = await startTracing('sagaport-workers');
  const config = loadWorkerConfig();
  const workers = selectWorkers(process.argv.slice(2));
  const running = await runWorkerProcess({ config, workers });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'shutting down: finishing in-flight messages');
    await running.stop();
    await tracing.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', (signal) => void shutdown(signal));
  process.once('SIGTERM', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  console.error(`sagaport-workers: ${(error as Error).message}`);
  process.exit(1);
});
