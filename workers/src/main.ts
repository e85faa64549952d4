// `node workers/dist/main.js [order inventory payment shipping]`: runs the named workers, or all of them.
import { loadWorkerConfig } from './config.js';
import { runWorkerProcess } from './runtime/process.js';
import { selectWorkers } from './selection.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const workers = selectWorkers(process.argv.slice(2));
  const running = await runWorkerProcess({ config, workers });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'shutting down: finishing in-flight messages');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', (signal) => void shutdown(signal));
  process.once('SIGTERM', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  console.error(`sagaport-workers: ${(error as Error).message}`);
  process.exit(1);
});
