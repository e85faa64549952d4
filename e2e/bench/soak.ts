// `npm run soak -- --minutes N [--rate R]`: checkouts at a steady rate for N minutes while, once a
// minute each, the broker restarts, the workers are killed with SIGKILL and the orchestrator is
// killed with SIGKILL (each restarted). Then it waits for every saga to end, checks the books and
// prints one JSON line. The broker is a RabbitMQ node of the soak's own; PostgreSQL is the usual
// server (a fresh database).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PrivateBroker } from '@sagaport/rabbitmq/testing';
import { checkConsistency, waitForAllEnded } from '../src/consistency.js';
import { type ManagedProcess, System } from '../src/harness.js';
import { mixedCheckout } from '../src/load.js';
import { waitForQuiescence } from '../src/quiescence.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    // Half of the ~100 sagas/s this 2-core machine sustains (docs/performance.md).
    rate: { type: 'string', default: '50' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
if (!(minutes > 0) || !(rate > 0)) {
  console.error('usage: npm run soak -- --minutes N [--rate sagas-per-second]');
  process.exit(2);
}
const log = (message: string) => console.error(`soak: ${message}`);

const catalogue = Array.from({ length: 8 }, (_, i) => ({
  sku: `SKU-S${String(i).padStart(2, '0')}`,
  priceCents: 250 + 50 * i,
  available: 10_000_000,
}));
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));
const body = mixedCheckout(catalogue.map((p) => p.sku));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssMiB(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 102.4) / 10;
  } catch {
    return null;
  }
}

log('starting a private RabbitMQ node');
const node = await PrivateBroker.start();
const brokerPid = async () => Number((await readFile(join(node.dir, 'pid'), 'utf8')).trim());
const system = await System.create({
  catalogue,
  amqpUrl: node.url,
  env: { LOG_LEVEL: 'error', STEP_TIMEOUT_MS: '30000' },
});
let api: ManagedProcess = await system.startOrchestrator();
let workers: ManagedProcess = await system.startWorkers();
const memory = async () => ({
  orchestrator: await rssMiB(api.pid),
  workers: await rssMiB(workers.pid),
  rabbitmq: await rssMiB(await brokerPid()),
});
const memoryAtStart = await memory();

// Open loop: one checkout every 1/rate s; each retried with its key until accepted (the
// orchestrator may be down, or answer 503 while the broker is away).
const accepted: string[] = [];
let started = 0;
let refusals = 0;
const pending = new Set<Promise<void>>();
async function checkout(index: number): Promise<void> {
  const key = randomUUID();
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${api.port}/checkouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body(index)),
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status === 202 || response.status === 200) {
        accepted.push(((await response.json()) as { sagaId: string }).sagaId);
        return;
      }
      await response.body?.cancel();
    } catch {
      // down or hanging: retried with the same key
    }
    refusals += 1;
    if (Date.now() > deadline) return;
    await sleep(500);
  }
}

const faults: string[] = [];
async function inject(fault: 'broker' | 'workers' | 'orchestrator') {
  const at = Math.round((Date.now() - soakStart) / 1000);
  faults.push(`${at}s ${fault}`);
  log(`${at}s: ${fault}`);
  if (fault === 'broker') await node.restartApp(3_000);
  if (fault === 'workers') {
    await workers.kill('SIGKILL');
    workers = await system.startWorkers();
  }
  if (fault === 'orchestrator') {
    await api.kill('SIGKILL');
    api = await system.startOrchestrator();
  }
}

const soakStart = Date.now();
const soakEnd = soakStart + minutes * 60_000;
const schedule = Array.from({ length: minutes }, (_, m) => [
  { at: soakStart + m * 60_000 + 15_000, fault: 'broker' as const },
  { at: soakStart + m * 60_000 + 30_000, fault: 'workers' as const },
  { at: soakStart + m * 60_000 + 45_000, fault: 'orchestrator' as const },
]).flat();
const injector = (async () => {
  for (const { at, fault } of schedule) {
    await sleep(Math.max(0, at - Date.now()));
    await inject(fault).catch((error: unknown) => log(`${fault} fault failed: ${String(error)}`));
  }
})();
log(`driving ${rate} checkouts/s for ${minutes} min`);
for (let next = soakStart; next < soakEnd; next += 1000 / rate) {
  await sleep(Math.max(0, next - Date.now()));
  const p = checkout(started++);
  pending.add(p);
  void p.finally(() => pending.delete(p));
}
await injector;
await Promise.all(pending);
const memoryAtEnd = await memory();

log(`${accepted.length} accepted; waiting for every saga to end`);
const running = await waitForAllEnded(system.database, 180_000);
if (running === 0) await waitForQuiescence(system, { timeoutMs: 120_000 }).catch(() => undefined);
const report = await checkConsistency(system.database, initialStock);
const { sql } = system.database;
const one = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;
const known = await one(
  sql`select count(*)::int as n from saga.instances where id = any(${sql.array(accepted)}::uuid[])`,
);
const ended = await one(
  sql`select count(*)::int as n from saga.instances where status not in ('running', 'compensating')`,
);
// Effects applied twice: a second charge or refund the provider accepted for one saga, a second
// order, hold or shipment for one saga.
const doubled = await one(sql`
  select (
    (select count(*) from (select 1 from payments.provider_calls where status = 201 and not replayed
       group by operation, idempotency_key having count(*) > 1) t)
    + (select count(*) from (select 1 from orders.orders group by saga_id having count(*) > 1) t)
    + (select count(*) from (select 1 from inventory.reservations group by saga_id having count(*) > 1) t)
    + (select count(*) from (select 1 from shipping.shipments group by saga_id having count(*) > 1) t)
  )::int as n`);
// Units sold beyond the stock: below zero, or more held and committed than there was.
const oversold = await one(sql`
  select coalesce(sum(greatest(0, -available)), 0)::int as n from inventory.products`);
const deadLetters = await one(sql`select count(*)::int as n from dead_letters`);
// Each dead letter by where it failed and why, so a failed soak says what to look at.
const deadLetterReasons = await sql<{ queue: string; type: string; error: string; n: number }[]>`
  select original_queue as queue, message_type as type,
    error_class || ' ' || error_name || ': ' || left(error_message, 300) as error, count(*)::int as n
  from dead_letters group by 1, 2, 3 order by n desc limit 10`;
const line = {
  minutes,
  rate,
  started,
  accepted: accepted.length,
  ended,
  lost: started - known + (known - ended),
  doubled,
  oversold,
  dead_letters: deadLetters,
  ...(deadLetterReasons.length > 0 ? { dead_letter_reasons: deadLetterReasons } : {}),
  consistent: report.problems.length === 0,
  problems: report.problems,
  faults: faults.length,
  refused_attempts: refusals,
  memory_mib: { start: memoryAtStart, end: memoryAtEnd },
};
console.log(JSON.stringify(line));
await system.stop();
await node.dispose();
process.exit(
  line.lost === 0 && doubled === 0 && oversold === 0 && deadLetters === 0 && line.consistent ? 0 : 1,
);
