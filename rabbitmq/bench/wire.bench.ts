// `npm run bench:wire`: confirmed publishes of 1 KB persistent messages to a quorum queue, consumed
// by the library's consumer. Prints progress, then one JSON line with the figures.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { z } from 'zod';
import {
  buildMessage,
  ConfirmPublisher,
  connectBroker,
  Consumer,
  loadBrokerConfig,
  waitForBroker,
} from '../src/index.js';
import { buildTopology } from '../src/topology.js';
import { bareAmqplibRate } from './baseline.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    warmup: { type: 'string', default: '5000' },
    window: { type: 'string', default: '500' },
    prefetch: { type: 'string', default: '500' },
    size: { type: 'string', default: '1024' },
    'skip-baseline': { type: 'boolean', default: false },
    nagle: { type: 'boolean', default: false },
  },
});
const total = Number(values.messages);
const warmup = Number(values.warmup);
const window = Number(values.window);
const config = loadBrokerConfig();
const queue = `bench-${randomUUID()}`;
const contracts = { 'bench.ping': z.strictObject({ seq: z.number().int(), pad: z.string() }) };
const padding = 'x'.repeat(Math.max(0, Number(values.size) - 40));

const admin = await amqplib.connect(config.url);
const adminChannel = await admin.createChannel();
await adminChannel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
const connection = connectBroker({
  url: config.url,
  connectionName: 'sagaport-bench',
  noDelay: !values.nagle,
});
await waitForBroker(connection);
const publisher = new ConfirmPublisher(connection, { maxInFlight: window });
const topology = buildTopology({ prefix: `${queue}.` });

let consumed = 0;
let lastConsumedAt = 0;
const consumer = new Consumer({
  connection,
  topology,
  queue,
  contracts,
  publisher,
  retry: { tiers: [], maxAttempts: 1 },
  consumerName: 'bench',
  prefetch: Number(values.prefetch),
  handler: async () => {
    consumed += 1;
    lastConsumedAt = performance.now();
  },
});
await consumer.started;

/** Publishes `count` messages through `window` concurrent lanes; returns each publish's confirm latency. */
async function run(count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const seq = next++;
      const message = buildMessage({
        exchange: '',
        routingKey: queue,
        type: 'bench.ping',
        payload: { seq, pad: padding },
      });
      const started = performance.now();
      await publisher.publish(message);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return latencies;
}

async function waitConsumed(target: number): Promise<void> {
  while (consumed < target) await new Promise((r) => setTimeout(r, 5));
}

console.log(`warm-up: ${warmup} messages`);
await run(warmup);
await waitConsumed(warmup);

console.log(
  `measuring: ${total} messages of ${values.size} bytes, window ${window}, prefetch ${values.prefetch}`,
);
const progress = setInterval(() => console.log(`  consumed ${consumed - warmup}/${total}`), 2_000);
const started = performance.now();
const latencies = await run(total);
await waitConsumed(warmup + total);
clearInterval(progress);
const seconds = (lastConsumedAt - started) / 1000;

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
await consumer.stop();
await publisher.close();
await connection.close();
await adminChannel.deleteQueue(queue);
await admin.close();

const rate = Math.round(total / seconds);
console.log(
  `sagaport wire: ${rate} msg/s; publish confirm latency p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms`,
);
let baseline: number | undefined;
if (!values['skip-baseline']) {
  console.log('baseline: the same load through a bare amqplib loop');
  baseline = await bareAmqplibRate(config.url, total, window, Number(values.size));
  console.log(`bare amqplib: ${baseline} msg/s; sagaport/bare = ${(rate / baseline).toFixed(2)}`);
}
console.log(
  JSON.stringify({
    msgs_per_s: rate,
    publish_confirm_p99_ms: Number(pct(99).toFixed(2)),
    publish_confirm_p50_ms: Number(pct(50).toFixed(2)),
    ...(baseline
      ? { bare_amqplib_msgs_per_s: baseline, ratio_to_bare: Number((rate / baseline).toFixed(2)) }
      : {}),
    tcp_nodelay: !values.nagle,
    messages: total,
    bytes: Number(values.size),
  }),
);
