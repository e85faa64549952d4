// `npm run bench:rebuild -- --events N`: publishes N valid order events into a private stream, rebuilds the
// order history from offset 0 with the projections CLI, prints one JSON line, and deletes what it made.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMigratedTestDatabase } from '@sagaport/db/testing';
import {
  buildMessage,
  buildTopology,
  declareTopology,
  deleteTopology,
  eventHeaders,
  type EventType,
} from '@sagaport/rabbitmq';
import { amqpUrl, connectAdmin } from '@sagaport/rabbitmq/testing';

const { values } = parseArgs({
  options: {
    events: { type: 'string', short: 'n', default: '100000' },
    /** Messages published between two waits for the broker's confirms. */
    window: { type: 'string', default: '5000' },
  },
});
const total = Number(values.events);
const window = Number(values.window);
if (!Number.isInteger(total) || total < 1) throw new Error('--events is a positive integer');

const cli = fileURLToPath(new URL('../../orchestrator/dist/projections/cli.js', import.meta.url));
const log = (message: string) => console.error(`bench:rebuild: ${message}`);

/** The i-th event of an order's happy path (6 in all), with its aggregate sequence and payload. */
function orderEvent(
  orderId: string,
  i: number,
  at: Date,
): { type: EventType; sequence: number; payload: object } {
  const lines = [{ sku: 'SKU-BENCH', quantity: 2 }];
  switch (i) {
    case 0:
      return {
        type: 'order.placed',
        sequence: 1,
        payload: {
          orderId,
          customerId: `cust-${orderId.slice(0, 2)}`,
          items: [{ ...lines[0]!, unitPriceCents: 450 }],
          totalCents: 900,
          currency: 'EUR',
        },
      };
    case 1:
      return {
        type: 'stock.reserved',
        sequence: 1,
        payload: {
          orderId,
          reservationId: randomUUID(),
          lines,
          expiresAt: new Date(at.getTime() + 600_000).toISOString(),
        },
      };
    case 2:
      return {
        type: 'payment.charged',
        sequence: 1,
        payload: { orderId, chargeId: randomUUID(), amount: { cents: 900, currency: 'EUR' } },
      };
    case 3:
      return {
        type: 'shipment.scheduled',
        sequence: 1,
        payload: { orderId, shipmentId: randomUUID(), country: 'DE' },
      };
    case 4:
      return { type: 'order.confirmed', sequence: 2, payload: { orderId } };
    default:
      return { type: 'stock.committed', sequence: 2, payload: { orderId } };
  }
}

const prefix = `bench-rebuild-${randomUUID()}.`;
const topology = buildTopology({ prefix });
const database = await createMigratedTestDatabase(2, 'sagaport-bench-rebuild');
const admin = await connectAdmin();
const channel = await admin.createConfirmChannel();
try {
  await declareTopology(channel, topology);
  // Straight into the stream (the default exchange): no other queue of the topology fills up.
  const stream = topology.queues.events;
  const publishStarted = performance.now();
  let orderId = randomUUID();
  let sagaId = randomUUID();
  for (let n = 0; n < total; n += 1) {
    if (n % 6 === 0) {
      orderId = randomUUID();
      sagaId = randomUUID();
    }
    const at = new Date();
    const event = orderEvent(orderId, n % 6, at);
    const message = buildMessage({
      exchange: '',
      routingKey: stream,
      type: event.type,
      payload: event.payload,
      correlationId: sagaId,
      headers: eventHeaders(event.type, { aggregateId: orderId, sequence: event.sequence }, at),
    });
    if (!channel.publish('', stream, message.content, message.properties)) {
      await new Promise((resolve) => channel.once('drain', resolve));
    }
    if ((n + 1) % window === 0) await channel.waitForConfirms();
    if ((n + 1) % 100_000 === 0) log(`published ${n + 1} of ${total}`);
  }
  await channel.waitForConfirms();
  const publishSeconds = (performance.now() - publishStarted) / 1000;
  log(`published ${total} events in ${publishSeconds.toFixed(1)} s; rebuilding`);

  const summary = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'rebuild', 'order-history'], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        AMQP_URL: amqpUrl,
        TOPOLOGY_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        last = line;
        if (!line.startsWith('{')) log(line);
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (partial) last = partial;
      if (code !== 0) reject(new Error(`the rebuild exited with ${code}: ${last}`));
      else resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
  const [rows] = await database.sql<
    { orders: number }[]
  >`select count(*)::int as orders from projections.order_history`;
  if (rows!.orders !== Math.ceil(total / 6)) {
    throw new Error(`the rebuilt model has ${rows!.orders} orders, not ${Math.ceil(total / 6)}`);
  }
  const seconds = Number(summary.seconds);
  console.log(
    JSON.stringify({
      events: total,
      seconds,
      events_per_s: Math.round(total / seconds),
      applied_events: summary.applied_events,
      orders: rows!.orders,
      publish_seconds: Number(publishSeconds.toFixed(2)),
      state: summary.state,
    }),
  );
} finally {
  await deleteTopology(channel, topology).catch(() => undefined);
  await admin.close().catch(() => undefined);
  await database.dispose();
}
