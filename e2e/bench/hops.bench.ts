// `npm run bench:hops`: where the time of an idle checkout goes, hop by hop. Posts checkouts one at
// a time (`Prefer: wait`, a pause between them) to the real processes, then reads, for the last
// ones, when each transaction on the saga's path began (the orchestrator's event-log rows, the
// workers' inbox rows: PostgreSQL's `now()`), and prints one JSON line with the medians.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { System } from '../src/harness.js';
import { mixedCheckout } from '../src/load.js';
import { postWaitingCheckout } from './http-client.js';

const { values } = parseArgs({
  options: {
    checkouts: { type: 'string', short: 'n', default: '60' },
    /** The first checkouts warm the processes up and are not measured. */
    warmup: { type: 'string', default: '20' },
    'pause-ms': { type: 'string', default: '300' },
  },
});
const total = Number(values.checkouts);
const warmup = Number(values.warmup);
const pauseMs = Number(values['pause-ms']);
if (!(Number.isInteger(total) && Number.isInteger(warmup) && total > warmup && warmup >= 0))
  throw new Error('--checkouts must be an integer above --warmup');

const log = (message: string) => console.error(`bench:hops: ${message}`);
const catalogue = Array.from({ length: 8 }, (_, i) => ({
  sku: `SKU-B${String(i).padStart(2, '0')}`,
  priceCents: 250 + 50 * i,
  available: 10_000_000,
}));
const body = mixedCheckout(catalogue.map((p) => p.sku));
const system = await System.create({ catalogue, env: { LOG_LEVEL: 'warn', STEP_TIMEOUT_MS: '30000' } });
try {
  const api = await system.startOrchestrator();
  await system.startWorkers();
  log(`${total} checkouts one at a time, ${pauseMs} ms apart; the first ${warmup} warm up`);
  const http: number[] = [];
  const measured: string[] = [];
  for (let i = 0; i < total; i += 1) {
    const started = performance.now();
    const idempotencyKey = randomUUID();
    // Every fourth of the mix: none of them is declined or undeliverable, so each completes (five steps).
    const status = await postWaitingCheckout(api.port, body(i * 4), { waitSeconds: 30, idempotencyKey });
    if (status !== 200) throw new Error(`checkout ${i} answered ${status}`);
    if (i >= warmup) {
      http.push(performance.now() - started);
      measured.push(idempotencyKey);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  const { sql } = system.database;
  type Row = {
    saga_id: string;
    kind: string;
    message_type: string | null;
    message_id: string | null;
    t: number;
  };
  const rows = await sql<Row[]>`
    select e.saga_id, e.kind, e.message_type, e.message_id, extract(epoch from e.created_at) * 1000 as t
    from saga.events e join saga.checkout_requests r on r.saga_id = e.saga_id
    join saga.instances s on s.id = e.saga_id
    where r.idempotency_key = any(${measured}) and s.status = 'completed'
    order by e.saga_id, e.id`;
  const inbox = await sql<{ message_id: string; t: number }[]>`
    select message_id, extract(epoch from received_at) * 1000 as t from inbox`;
  const inboxAt = new Map(inbox.map((r) => [r.message_id, Number(r.t)]));
  const legs = new Map<string, number[]>();
  const add = (leg: string, ms: number) => legs.set(leg, [...(legs.get(leg) ?? []), ms]);
  const bySaga = new Map<string, Row[]>();
  for (const row of rows) bySaga.set(row.saga_id, [...(bySaga.get(row.saga_id) ?? []), row]);
  for (const events of bySaga.values()) {
    add('saga', Number(events.at(-1)!.t) - Number(events[0]!.t));
    for (const sent of events.filter((e) => e.kind === 'command.sent')) {
      const workerAt = inboxAt.get(sent.message_id!);
      if (workerAt === undefined) continue;
      const replied = events.find(
        (e) => e.kind === 'reply.received' && e.message_type === `${sent.message_type}.reply`,
      );
      add(`${sent.message_type} out`, workerAt - Number(sent.t));
      if (replied) add(`${sent.message_type} back`, Number(replied.t) - workerAt);
    }
  }
  const median = (values: readonly number[]) =>
    Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]! * 10) / 10;
  const hops = Object.fromEntries(
    [...legs].filter(([leg]) => leg !== 'saga').map(([leg, v]) => [leg, median(v)]),
  );
  const hopValues = Object.values(hops);
  console.log(
    JSON.stringify({
      http_p50_ms: median(http),
      saga_p50_ms: median(legs.get('saga') ?? []),
      hop_mean_ms: Math.round((hopValues.reduce((a, b) => a + b, 0) / hopValues.length) * 10) / 10,
      hops_p50_ms: hops,
      sagas: bySaga.size,
    }),
  );
} finally {
  await system.stop();
}
