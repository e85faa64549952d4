// `npm run bench`: drives the real checkout API (Prefer: wait) against real processes, checks the
// books afterwards, and prints one JSON line. Closed loop with C clients, or open loop at --rate R.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type CheckoutBody, postCheckout } from '../src/client.js';
import { checkConsistency, waitForAllEnded } from '../src/consistency.js';
import { System } from '../src/harness.js';
import { mixedCheckout } from '../src/load.js';
import { waitForQuiescence } from '../src/quiescence.js';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', short: 'c', default: '32' },
    duration: { type: 'string', short: 't', default: '20' },
    warmup: { type: 'string', default: '5' },
    rate: { type: 'string' },
    orchestrators: { type: 'string', default: '1' },
    'worker-processes': { type: 'string', default: '1' },
  },
});
const concurrency = Number(values.concurrency);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const rate = values.rate ? Number(values.rate) : undefined;

const catalogue = Array.from({ length: 8 }, (_, i) => ({
  sku: `SKU-B${String(i).padStart(2, '0')}`,
  priceCents: 250 + 50 * i,
  available: 10_000_000,
}));
const body = mixedCheckout(catalogue.map((p) => p.sku));

const log = (message: string) => console.log(`bench: ${message}`);
log(`starting ${values.orchestrators} orchestrator(s) and ${values['worker-processes']} worker process(es)`);
const system = await System.create({ catalogue, env: { LOG_LEVEL: 'warn', STEP_TIMEOUT_MS: '30000' } });
const apis: Awaited<ReturnType<typeof system.startOrchestrator>>[] = [];
for (let i = 0; i < Number(values.orchestrators); i += 1) apis.push(await system.startOrchestrator());
for (let i = 0; i < Number(values['worker-processes']); i += 1) await system.startWorkers();
let sequence = 0;
const port = () => apis[sequence++ % apis.length]!.port;

interface Sample {
  ms: number;
  ok: boolean;
}

async function one(checkout: CheckoutBody, startedAt: number, samples: Sample[]): Promise<void> {
  try {
    const answer = await postCheckout(port(), checkout, { waitSeconds: 30, idempotencyKey: randomUUID() });
    samples.push({ ms: performance.now() - startedAt, ok: answer.httpStatus === 200 });
  } catch {
    samples.push({ ms: performance.now() - startedAt, ok: false });
  }
}

/** Closed loop: `concurrency` clients, each posting the next checkout when the last one answered. */
async function closedLoop(seconds: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await one(body(sequence), performance.now(), samples);
    }),
  );
  return samples;
}

/** Open loop at `perSecond`: latency counts from the scheduled send time (no coordinated omission). */
async function openLoop(seconds: number, perSecond: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const started = performance.now();
  const total = Math.round(seconds * perSecond);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(one(body(i), due, samples));
  }
  await Promise.all(inFlight);
  return samples;
}

const run = (seconds: number) => (rate ? openLoop(seconds, rate) : closedLoop(seconds));
log(rate ? `open loop at ${rate} sagas/s` : `closed loop with ${concurrency} clients`);
log(`warm-up ${warmupS} s`);
await run(warmupS);
log(`measuring ${durationS} s`);
const progress = setInterval(() => log(`  ${sequence} checkouts sent`), 5_000);
const started = performance.now();
const samples = await run(durationS);
const elapsedS = (performance.now() - started) / 1000;
clearInterval(progress);

log('waiting for every saga to end, then checking the books');
await waitForAllEnded(system.database, 120_000);
// The books are read once nothing is in flight: the last holds are committed after their sagas end.
await waitForQuiescence(system).catch((error: unknown) => log(String(error)));
const report = await checkConsistency(system.database, new Map(catalogue.map((p) => [p.sku, p.available])));
await system.stop();

const latencies = samples
  .filter((s) => s.ok)
  .map((s) => s.ms)
  .sort((a, b) => a - b);
const pct = (p: number) =>
  Number(
    (latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(1),
  );
const consistent = report.problems.length === 0 && report.running === 0;
if (!consistent) log(`INCONSISTENT: ${report.problems.join('; ')}`);
console.log(
  JSON.stringify({
    sagas_per_s: Number((latencies.length / elapsedS).toFixed(1)),
    p50_ms: pct(50),
    p90_ms: pct(90),
    p99_ms: pct(99),
    completed: report.completed,
    compensated: report.compensated,
    errors: samples.length - latencies.length,
    consistent,
    mode: rate ? `rate=${rate}` : `concurrency=${concurrency}`,
    duration_s: durationS,
  }),
);
process.exit(consistent ? 0 : 1);
