// The reference model: the least a checkout of this design costs on this machine, measured beside
// the product in the same hour (the VM drifts by up to 30 % between hours, so the product's
// figures are read as ratios to this). Separate orchestrator and workers processes, quorum queues,
// publisher confirms, PostgreSQL with fsync, an outbox and an inbox, one transaction (one
// statement and its commit) per batch of every delivery that has arrived; five steps, eleven hops
// per saga. None of the product's HTTP, validation, logging, event log, projections or stream.
//
//   npm run bench:model [-- --concurrency 32 | --rate 50] [--duration 20]
//
// Prints one JSON line: sagas/s, CPU per saga and its split, like `npm run bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import amqp, { type Channel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import postgres from 'postgres';
import { CpuMeter } from './cpu.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const PREFETCH = 512;
/** The worker queue of each step: order, inventory, payment, shipping, order again. */
const STEP_QUEUES = ['order', 'inventory', 'payment', 'shipping', 'order'];
const STEPS = STEP_QUEUES.length;
/** A checkout's data, about as large as the product's. */
const DATA = {
  customerId: 'cust-model',
  email: 'model@example.com',
  items: [
    { sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 },
    { sku: 'SKU-2', quantity: 1, unitPriceCents: 990 },
  ],
  currency: 'EUR',
  totalCents: 3490,
  shippingAddress: { line1: '1 Model Street', city: 'Lyon', postalCode: '69001', country: 'FR' },
};

interface Row {
  id: string;
  queue: string;
  body: Record<string, unknown>;
}

/** Takes every delivery that has arrived, one batch at a time, with no waiting. */
class Batcher<T> {
  private pending: T[] = [];
  private running = false;
  constructor(private readonly handle: (batch: T[]) => Promise<void>) {}
  push(item: T): void {
    this.pending.push(item);
    if (!this.running) setImmediate(() => void this.drain());
  }
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.handle(batch);
      }
    } finally {
      this.running = false;
    }
  }
}

/** Publishes outbox rows with confirms; returns their ids, for the next batch to delete. */
async function publish(channel: ConfirmChannel, prefix: string, rows: readonly Row[]): Promise<string[]> {
  for (const row of rows) {
    channel.publish('', `${prefix}.${row.queue}`, Buffer.from(JSON.stringify(row.body)), {
      persistent: true,
      messageId: String(row.body['messageId']),
      contentType: 'application/json',
    });
  }
  await channel.waitForConfirms();
  return rows.map((r) => r.id);
}

function connect(url: string) {
  return postgres(url, {
    max: 4,
    prepare: true,
    onnotice: () => {},
    connection: { application_name: 'model' },
  });
}

async function orchestrator(url: string, prefix: string, concurrency: number, rate: number): Promise<void> {
  const sql = connect(url);
  const connection = await amqp.connect(AMQP_URL, { noDelay: true });
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  await consumer.prefetch(PREFETCH);
  let confirmed: string[] = [];
  let toStart = concurrency;

  const starts = new Batcher<number>(async () => {
    const n = toStart;
    toStart = 0;
    if (n === 0) return;
    const done = confirmed;
    confirmed = [];
    const [row] = await sql.begin(
      (tx) => tx<{ rows: Row[] }[]>`
      with started as (
        insert into model.sagas (id, step, status, data)
        select gen_random_uuid(), 0, 'running', ${tx.json(DATA)} from generate_series(1, ${n})
        returning id, data
      ), box as (
        insert into model.outbox (queue, body)
        select ${STEP_QUEUES[0]!}, jsonb_build_object('sagaId', id, 'step', 0, 'messageId', gen_random_uuid(), 'data', data)
        from started returning id::text, queue, body
      ), confirmed as (delete from model.outbox where id = any(${done}::bigint[]))
      select coalesce((select json_agg(box) from box), '[]') as rows`,
    );
    confirmed.push(...(await publish(publisher, prefix, row!.rows)));
  });

  const replies = new Batcher<ConsumeMessage>(async (batch) => {
    const parsed = batch.map((m) => JSON.parse(m.content.toString()) as { sagaId: string; step: number });
    const done = confirmed;
    confirmed = [];
    const [row] = await sql.begin(
      (tx) => tx<{ ended: number; rows: Row[] }[]>`
      with input as (
        select * from unnest(${parsed.map((p) => p.sagaId)}::uuid[], ${parsed.map((p) => p.step)}::int[]) as i(id, step)
      ), current as (
        select s.id from model.sagas s join input i on i.id = s.id and i.step = s.step and s.status = 'running'
        order by s.id for update of s
      ), moved as (
        update model.sagas s set step = s.step + 1, version = s.version + 1, updated_at = now(),
          status = case when s.step + 1 >= ${STEPS} then 'completed' else 'running' end
        from current c where s.id = c.id
        returning s.id, s.step, s.status, s.data
      ), box as (
        insert into model.outbox (queue, body)
        select (${STEP_QUEUES}::text[])[m.step + 1],
          jsonb_build_object('sagaId', m.id, 'step', m.step, 'messageId', gen_random_uuid(), 'data', m.data)
        from moved m where m.status = 'running'
        returning id::text, queue, body
      ), confirmed as (delete from model.outbox where id = any(${done}::bigint[]))
      select (select count(*)::int from moved where status = 'completed') as ended,
        coalesce((select json_agg(box) from box), '[]') as rows`,
    );
    confirmed.push(...(await publish(publisher, prefix, row!.rows)));
    consumer.ack(batch.at(-1)!, true);
    // Closed loop: each saga that ends starts the next.
    if (rate === 0 && row!.ended > 0) {
      toStart += row!.ended;
      starts.push(row!.ended);
    }
  });

  await consumer.consume(`${prefix}.replies`, (m) => m && replies.push(m));
  if (rate === 0) {
    starts.push(concurrency);
    return;
  }
  // Open loop: `rate` sagas a second, whatever is in flight, started in the next free round.
  const began = performance.now();
  let started = 0;
  const tick = () => {
    const due = Math.floor(((performance.now() - began) / 1000) * rate) - started;
    if (due > 0) {
      started += due;
      toStart += due;
      starts.push(due);
    }
    setTimeout(tick, Math.max(0, began + ((started + 1) / rate) * 1000 - performance.now()));
  };
  tick();
}

async function workers(url: string, prefix: string): Promise<void> {
  const sql = connect(url);
  const connection = await amqp.connect(AMQP_URL, { noDelay: true });
  const publisher = await connection.createConfirmChannel();
  let confirmed: string[] = [];
  const channels = new Map<string, Channel>();
  // One round for every queue's deliveries, like the product's shared worker rounds.
  const round = new Batcher<{ queue: string; message: ConsumeMessage }>(async (batch) => {
    const parsed = batch.map(
      ({ message }) =>
        JSON.parse(message.content.toString()) as { sagaId: string; step: number; messageId: string },
    );
    const done = confirmed;
    confirmed = [];
    const [row] = await sql.begin(
      (tx) => tx<{ rows: Row[] }[]>`
      with input as (
        select * from unnest(${parsed.map((p) => p.messageId)}::uuid[], ${parsed.map((p) => p.sagaId)}::uuid[],
          ${parsed.map((p) => p.step)}::int[]) as i(message_id, saga_id, step)
      ), claimed as (
        insert into model.inbox (consumer, message_id) select 'workers', message_id from input
        on conflict do nothing returning message_id
      ), effects as (
        insert into model.effects (saga_id, kind)
        select i.saga_id, (${STEP_QUEUES}::text[])[i.step + 1] from input i join claimed c using (message_id)
      ), box as (
        insert into model.outbox (queue, body)
        select 'replies', jsonb_build_object('sagaId', i.saga_id, 'step', i.step, 'messageId', gen_random_uuid(),
          'causationId', i.message_id, 'outcome', 'succeeded')
        from input i join claimed c using (message_id)
        returning id::text, queue, body
      ), confirmed as (delete from model.outbox where id = any(${done}::bigint[]))
      select coalesce((select json_agg(box) from box), '[]') as rows`,
    );
    confirmed.push(...(await publish(publisher, prefix, row!.rows)));
    const last = new Map<string, ConsumeMessage>();
    for (const { queue, message } of batch) last.set(queue, message);
    for (const [queue, message] of last) channels.get(queue)!.ack(message, true);
  });
  for (const queue of new Set(STEP_QUEUES)) {
    const channel = await connection.createChannel();
    await channel.prefetch(PREFETCH);
    channels.set(queue, channel);
    await channel.consume(`${prefix}.${queue}`, (m) => m && round.push({ queue, message: m }));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '32' },
      duration: { type: 'string', default: '20' },
      rate: { type: 'string', default: '0' },
      // As long as the product's (see checkout.bench.ts): both measured after V8 has compiled their hot paths.
      warmup: { type: 'string', default: '20' },
    },
  });
  const concurrency = Number(values.concurrency);
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  const prefix = `model-${randomUUID().slice(0, 8)}`;
  const database = `sagaport_model_${randomUUID().slice(0, 8)}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${database}`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${database}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  await sql.unsafe(`
    create schema model;
    create table model.sagas (id uuid primary key, step int not null, status text not null, data jsonb not null,
      version int not null default 0, created_at timestamptz not null default now(), updated_at timestamptz not null default now());
    create index on model.sagas (status, created_at);
    create table model.outbox (id bigserial primary key, queue text not null, body jsonb not null,
      created_at timestamptz not null default now());
    create table model.inbox (consumer text not null, message_id uuid not null, created_at timestamptz not null default now(),
      primary key (consumer, message_id));
    create table model.effects (id bigserial primary key, saga_id uuid not null, kind text not null,
      created_at timestamptz not null default now());
    create index on model.effects (saga_id);`);
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const queues = ['replies', ...new Set(STEP_QUEUES)].map((q) => `${prefix}.${q}`);
  for (const queue of queues)
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });

  const child = (role: string): ChildProcess =>
    spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--role', role], {
      env: {
        ...process.env,
        MODEL_ROLE: role,
        MODEL_DB: url.toString(),
        MODEL_PREFIX: prefix,
        MODEL_C: String(concurrency),
        MODEL_RATE: String(rate),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  const worker = child('workers');
  const orch = child('orchestrator');
  const cpu = new CpuMeter({
    orchestrator: () => (orch.pid ? [orch.pid] : []),
    workers: () => (worker.pid ? [worker.pid] : []),
    driver: () => [],
  });
  const completed = async () =>
    (await sql<{ n: number }[]>`select count(*)::int as n from model.sagas where status = 'completed'`)[0]!.n;
  try {
    await new Promise((resolve) => setTimeout(resolve, Number(values.warmup) * 1000));
    const before = await completed();
    const [window] = await sql<{ from: Date }[]>`select now() as from`;
    const from = window!.from;
    cpu.start();
    await new Promise((resolve) => setTimeout(resolve, duration * 1000));
    const used = cpu.stop();
    const sagas = (await completed()) - before;
    // From the saga's start (its row) to its last step (the row's last update), of the sagas
    // started in the window that ended.
    const [latency] = await sql<{ p50: number; p99: number }[]>`
      select percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.99) within group (order by ms) as p99
      from (select extract(epoch from updated_at - created_at) * 1000 as ms from model.sagas
            where status = 'completed' and created_at >= ${from}) t`;
    console.log(
      JSON.stringify({
        model: true,
        sagas_per_s: Number((sagas / used.seconds).toFixed(1)),
        p50_ms: Number(latency!.p50.toFixed(1)),
        p99_ms: Number(latency!.p99.toFixed(1)),
        cpu_ms_per_saga: Number((used.busyMs / sagas).toFixed(2)),
        machine_cpu_pct: used.machinePct,
        context_switches_per_saga: Math.round(used.contextSwitches / sagas),
        cpu_pct: used.cpuPct,
        mode: rate > 0 ? `rate=${rate}` : `concurrency=${concurrency}`,
        duration_s: duration,
      }),
    );
  } finally {
    orch.kill('SIGKILL');
    worker.kill('SIGKILL');
    for (const queue of queues) await channel.deleteQueue(queue);
    await connection.close();
    await sql.end();
    await admin.unsafe(`drop database ${database} with (force)`);
    await admin.end();
  }
}

const role = process.env['MODEL_ROLE'];
if (role === 'orchestrator') {
  const env = (name: string) => process.env[name]!;
  await orchestrator(env('MODEL_DB'), env('MODEL_PREFIX'), Number(env('MODEL_C')), Number(env('MODEL_RATE')));
} else if (role === 'workers') {
  await workers(process.env['MODEL_DB']!, process.env['MODEL_PREFIX']!);
} else {
  await main();
}
