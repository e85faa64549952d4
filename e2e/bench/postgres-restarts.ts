// `npm run stress:postgres -- [--checkouts N] [--every K]`: checkouts from 16 clients while a
// PostgreSQL server of the run's own is restarted (fast shutdown, down 0.5–6.5 s) after every K
// accepted checkouts. Then it waits for every saga to end, checks the books and prints one JSON
// line. It found three ways a restart under load could stop the system for good (a pool slot that
// never connected again, a query carried over to the next socket, a COMMIT no one failed):
// docs/reliability.md.
import { parseArgs } from 'node:util';
import { PrivatePostgres } from '@sagaport/db/testing';
import { settledBooks } from '../src/consistency.js';
import { System } from '../src/harness.js';
import { driveCheckouts, mixedCheckout } from '../src/load.js';

const { values } = parseArgs({
  options: {
    checkouts: { type: 'string', default: '900' },
    every: { type: 'string', default: '60' },
  },
});
const total = Number(values.checkouts);
const every = Number(values.every);
if (!(total > 0) || !(every > 0)) {
  console.error('usage: npm run stress:postgres -- [--checkouts N] [--every K]');
  process.exit(2);
}
const log = (message: string) => console.error(`stress: ${message}`);

const catalogue = ['SKU-R01', 'SKU-R02', 'SKU-R03'].map((sku) => ({
  sku,
  priceCents: 700,
  available: 1_000_000,
}));
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));

log('starting a private PostgreSQL server');
const server = await PrivatePostgres.start();
const system = await System.create({
  catalogue,
  env: { STEP_TIMEOUT_MS: '10000', LOG_LEVEL: 'warn' },
  databaseServerUrl: server.url,
});
const started = Date.now();
let outcome: Record<string, unknown> = {};
try {
  const api = await system.startOrchestrator();
  await system.startWorkers();
  let restarting: Promise<void> | undefined;
  const restarts: number[] = [];
  const accepted = await driveCheckouts({
    total,
    concurrency: 16,
    port: () => api.port,
    body: mixedCheckout(catalogue.map((p) => p.sku)),
    retryForMs: 120_000,
    onAccepted: (n) => {
      if (restarting || n % every !== 0) return;
      const downMs = 500 + Math.floor(Math.random() * 6_000);
      restarting = server.outage(downMs).then(() => {
        restarts.push(downMs);
        log(`restart ${restarts.length}: down ${downMs} ms, ${n} checkouts accepted`);
        restarting = undefined;
      });
    },
  });
  await restarting;
  log(`${accepted.length} checkouts accepted; waiting for every saga to end`);
  const report = await settledBooks(system, initialStock, 120_000);
  outcome = {
    checkouts: accepted.length,
    restarts: restarts.length,
    down_ms: restarts,
    consistent: report.problems.length === 0,
    problems: report.problems,
  };
} catch (error) {
  // settledBooks names the sagas still running and where the system stopped.
  outcome = { consistent: false, error: (error as Error).message.split('\n').slice(0, 40).join('\n') };
} finally {
  await system.stop();
  await server.dispose();
}
console.log(JSON.stringify({ ...outcome, seconds: Math.round((Date.now() - started) / 1000) }));
process.exit(outcome['consistent'] === true ? 0 : 1);
