// `npm run bench`: drives the real checkout API (Prefer: wait) against real processes, checks the
// books afterwards, and prints one JSON line. Closed loop with C clients, or open loop at --rate R.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { adminLogin, operatorEnv } from '../src/admin-client.js';
import type { CheckoutBody } from '../src/client.js';
import { checkConsistency, waitForAllEnded } from '../src/consistency.js';
import { System } from '../src/harness.js';
import { mixedCheckout } from '../src/load.js';
import { waitForQuiescence } from '../src/quiescence.js';
import { CpuMeter } from './cpu.js';
import { postWaitingCancellation, postWaitingCheckout, postWaitingCheckoutForOrder } from './http-client.js';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', short: 'c', default: '32' },
    duration: { type: 'string', short: 't', default: '20' },
    /**
     * Seconds of load before the window. V8 is still compiling the hot paths of both Node
     * processes 5 s in (TurboFan was 14 % of the orchestrator's CPU 3–18 s into a window after
     * 5 s, 3 % after 45 s), which cost 9–11 % of the CPU per saga at C=128; 20 s measures the
     * steady state (docs/performance.md, step 49).
     */
    warmup: { type: 'string', default: '20' },
    rate: { type: 'string' },
    orchestrators: { type: 'string', default: '1' },
    'worker-processes': { type: 'string', default: '1' },
    /** The share of sagas that are order cancellations (of orders completed earlier in the run), 0 to 1. */
    cancellations: { type: 'string', default: '0' },
    /** Write a V8 CPU profile of every orchestrator and workers process into this folder. */
    profile: { type: 'string' },
    /** Extra Node or V8 flags for every orchestrator and workers process (space-separated), to measure a flag. */
    'node-args': { type: 'string', default: '' },
  },
});
const concurrency = Number(values.concurrency);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const rate = values.rate ? Number(values.rate) : undefined;
const cancellationShare = Number(values.cancellations);
if (!(cancellationShare >= 0 && cancellationShare < 1))
  throw new Error('--cancellations is a fraction in [0, 1)');

const catalogue = Array.from({ length: 8 }, (_, i) => ({
  sku: `SKU-B${String(i).padStart(2, '0')}`,
  priceCents: 250 + 50 * i,
  available: 10_000_000,
}));
const body = mixedCheckout(catalogue.map((p) => p.sku));

const log = (message: string) => console.log(`bench: ${message}`);
log(`starting ${values.orchestrators} orchestrator(s) and ${values['worker-processes']} worker process(es)`);
const system = await System.create({
  catalogue,
  env: { LOG_LEVEL: 'warn', STEP_TIMEOUT_MS: '30000', ...operatorEnv },
  nodeArgs: [
    ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []),
    ...values['node-args'].split(' ').filter(Boolean),
  ],
});
const apis: Awaited<ReturnType<typeof system.startOrchestrator>>[] = [];
const workerProcesses: typeof apis = [];
for (let i = 0; i < Number(values.orchestrators); i += 1) apis.push(await system.startOrchestrator());
for (let i = 0; i < Number(values['worker-processes']); i += 1)
  workerProcesses.push(await system.startWorkers());
const pidsOf = (processes: typeof apis) => processes.flatMap((p) => (p.pid ? [p.pid] : []));
const cpu = new CpuMeter({
  orchestrator: () => pidsOf(apis),
  workers: () => pidsOf(workerProcesses),
  driver: () => [process.pid],
});
let sequence = 0;
const port = () => apis[sequence++ % apis.length]!.port;

interface Sample {
  ms: number;
  /** Why the request failed (`http-503`, `ECONNRESET`, …); absent when it succeeded. */
  error?: string;
}

/** Orders completed during the run and not cancelled yet: what a cancellation takes. */
const cancellable: string[] = [];
let sagasSent = 0;

/** Whether saga number `n` of the run is a cancellation: `cancellationShare` of them, evenly spread. */
const isCancellation = (n: number) =>
  cancellationShare > 0 && Math.floor((n + 1) * cancellationShare) > Math.floor(n * cancellationShare);

/** Posts the next saga, a checkout or (its share) the cancellation of an order completed earlier. */
async function send(checkout: CheckoutBody): Promise<number> {
  const options = { waitSeconds: 30, idempotencyKey: randomUUID() };
  const orderId = isCancellation(sagasSent++) ? cancellable.shift() : undefined;
  if (orderId) return postWaitingCancellation(port(), orderId, options);
  if (cancellationShare === 0) return postWaitingCheckout(port(), checkout, options);
  const answer = await postWaitingCheckoutForOrder(port(), checkout, options);
  if (answer.completedOrderId) cancellable.push(answer.completedOrderId);
  return answer.status;
}

async function one(checkout: CheckoutBody, startedAt: number, samples: Sample[]): Promise<void> {
  try {
    const status = await send(checkout);
    const ms = performance.now() - startedAt;
    samples.push(status === 200 ? { ms } : { ms, error: `http-${status}` });
  } catch (error) {
    const code = (error as { code?: string }).code;
    samples.push({ ms: performance.now() - startedAt, error: code ?? (error as Error).name });
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

/** Mean deliveries per consumer batch, by queue (without the topology prefix), from every process's /metrics. */
async function meanBatchSizes(ports: readonly number[]): Promise<Record<string, number>> {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const port of ports) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const match of text.matchAll(
      /^sagaport_consumer_batch_size_(sum|count)\{[^}]*queue="([^"]+)"[^}]*\} (\S+)$/gm,
    )) {
      const queue = match[2]!.slice(system.prefix.length);
      const entry = sums.get(queue) ?? { sum: 0, count: 0 };
      entry[match[1] as 'sum' | 'count'] += Number(match[3]);
      sums.set(queue, entry);
    }
  }
  return Object.fromEntries(
    [...sums].map(([queue, { sum, count }]) => [queue, Number((sum / Math.max(1, count)).toFixed(1))]),
  );
}

/**
 * Messages the broker took into this system's queues over the whole run (warm-up and drain
 * included), by queue type, from the management API's per-queue publish counters. Those
 * counters lag by the broker's statistics interval (5 s), so they are read until two readings
 * agree. A fan-out counts once per queue. Null when the management API does not answer.
 */
async function brokerMessages(): Promise<{
  quorum: number;
  stream: number;
  byQueue: Record<string, number>;
} | null> {
  const url = new URL(process.env['RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672');
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  const read = async () => {
    const response = await fetch(`${url.origin}/api/queues/%2F?columns=name,type,message_stats.publish`, {
      headers: { authorization },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) throw new Error(`management API answered ${response.status}`);
    const queues = (await response.json()) as {
      name: string;
      type: string;
      message_stats?: { publish?: number };
    }[];
    const totals = { quorum: 0, stream: 0, byQueue: {} as Record<string, number> };
    for (const q of queues) {
      if (!q.name.startsWith(system.prefix) || (q.type !== 'quorum' && q.type !== 'stream')) continue;
      totals[q.type] += q.message_stats?.publish ?? 0;
      totals.byQueue[q.name.slice(system.prefix.length)] = q.message_stats?.publish ?? 0;
    }
    return totals;
  };
  try {
    let last = await read();
    for (let i = 0; i < 8; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const now = await read();
      if (now.quorum === last.quorum && now.stream === last.stream) {
        log(`broker messages by queue: ${JSON.stringify(now.byQueue)}`);
        return now;
      }
      last = now;
    }
    return last;
  } catch (error) {
    log(`broker message counts unavailable: ${(error as Error).message}`);
    return null;
  }
}

const run = (seconds: number) => (rate ? openLoop(seconds, rate) : closedLoop(seconds));
log(rate ? `open loop at ${rate} sagas/s` : `closed loop with ${concurrency} clients`);
log(`warm-up ${warmupS} s`);
await run(warmupS);
log(`measuring ${durationS} s`);
const progress = setInterval(() => log(`  ${sequence} checkouts sent`), 5_000);
const transactions = async () =>
  Number(
    (
      await system.database.sql<{ n: string }[]>`
        select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()`
    )[0]!.n,
  );
const transactionsBefore = await transactions();
/** The server's WAL position and each table's rows written (inserted, updated, deleted) so far. */
const writeCounters = async () => {
  const [wal] = await system.database.sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  const tables = await system.database.sql<{ name: string; n: string; vacuums: number; analyzes: number }[]>`
    select schemaname || '.' || relname as name, (n_tup_ins + n_tup_upd + n_tup_del)::text as n,
      (vacuum_count + autovacuum_count)::int as vacuums, (analyze_count + autoanalyze_count)::int as analyzes
    from pg_stat_user_tables`;
  const [hi, lo] = wal!.lsn.split('/').map((h) => BigInt(`0x${h}`));
  return {
    walBytes: (hi! << 32n) + lo!,
    rows: new Map(tables.map((t) => [t.name, Number(t.n)])),
    maintenance: new Map(tables.map((t) => [t.name, [t.vacuums, t.analyzes] as const])),
  };
};
const writesBefore = await writeCounters();
// The projections' lag at the end of the load window, as the admin status measures it (stream end minus checkpoint).
const admin = await adminLogin(apis[0]!.port);
const projectionLag = async () => {
  const { items } = await admin.get<{
    items: { name: string; lagEvents: number | null; lagSeconds: number | null }[];
  }>('/projections');
  return {
    events: Object.fromEntries(items.map((p) => [p.name, p.lagEvents])),
    seconds: Object.fromEntries(items.map((p) => [p.name, p.lagSeconds])),
  };
};
const started = performance.now();
cpu.start();
const samples = await run(durationS);
// The window ends here: what is read below must not stretch it.
const elapsedS = (performance.now() - started) / 1000;
const usage = cpu.stop();
const walAfter = (await writeCounters()).walBytes;
const lag = await projectionLag();
const transactionsDuring = (await transactions()) - transactionsBefore;
// Table statistics reach the cumulative views up to a second after their transaction.
await new Promise((resolve) => setTimeout(resolve, 1_500));
const writesAfter = { ...(await writeCounters()), walBytes: walAfter };
clearInterval(progress);

log('waiting for every saga to end, then checking the books');
await waitForAllEnded(system.database, 120_000);
// The books are read once nothing is in flight: the last holds are committed after their sagas end.
await waitForQuiescence(system).catch((error: unknown) => log(String(error)));
const batchSizes = await meanBatchSizes([...apis, ...workerProcesses].map((p) => p.metricsPort));
const messages = await brokerMessages();
const report = await checkConsistency(system.database, new Map(catalogue.map((p) => [p.sku, p.available])));
// A graceful stop lets each process finish its work and write what it was asked to (NODE_OPTIONS=--cpu-prof).
await Promise.all([...apis, ...workerProcesses].map((p) => p.kill('SIGTERM')));
await system.stop();

const errorKinds: Record<string, number> = {};
for (const sample of samples)
  if (sample.error) errorKinds[sample.error] = (errorKinds[sample.error] ?? 0) + 1;
const latencies = samples
  .filter((s) => !s.error)
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
    error_kinds: errorKinds,
    cpu_ms_per_saga: Number((usage.busyMs / Math.max(1, latencies.length)).toFixed(2)),
    machine_cpu_pct: usage.machinePct,
    context_switches_per_saga: Math.round(usage.contextSwitches / Math.max(1, latencies.length)),
    cpu_pct: usage.cpuPct,
    mean_batch: batchSizes,
    pg_transactions_per_saga: Number((transactionsDuring / Math.max(1, latencies.length)).toFixed(1)),
    writes_per_saga: Object.fromEntries(
      Object.entries(usage.writes).map(([role, n]) => [
        role,
        Number((n / Math.max(1, latencies.length)).toFixed(1)),
      ]),
    ),
    wal_kb_per_saga: Number(
      (Number(writesAfter.walBytes - writesBefore.walBytes) / 1024 / Math.max(1, latencies.length)).toFixed(
        1,
      ),
    ),
    row_writes_per_saga: Object.fromEntries(
      [...writesAfter.rows]
        .map(
          ([table, n]) =>
            [table, (n - (writesBefore.rows.get(table) ?? 0)) / Math.max(1, latencies.length)] as const,
        )
        .filter(([, n]) => n >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([table, n]) => [table, Number(n.toFixed(1))]),
    ),
    // Each table vacuumed or analyzed during the window: [vacuums, analyzes].
    table_maintenance: Object.fromEntries(
      [...writesAfter.maintenance].flatMap(([table, [vacuums, analyzes]]) => {
        const [v0, a0] = writesBefore.maintenance.get(table) ?? [0, 0];
        return vacuums > v0 || analyzes > a0 ? [[table, [vacuums - v0, analyzes - a0]]] : [];
      }),
    ),
    broker_messages_per_saga: messages && {
      quorum: Number((messages.quorum / Math.max(1, sequence)).toFixed(2)),
      stream: Number((messages.stream / Math.max(1, sequence)).toFixed(2)),
    },
    projection_lag_events: lag.events,
    projection_lag_seconds: lag.seconds,
    consistent,
    mode: rate ? `rate=${rate}` : `concurrency=${concurrency}`,
    cancellations: cancellationShare,
    duration_s: durationS,
  }),
);
process.exit(consistent ? 0 : 1);
