// Broker faults under saga load, with every process running: a broker restart, a memory alarm
// (the checkout API pushes back with 503), and a black-holed link. Each runs on a RabbitMQ node of
// this file's own (PrivateBroker), never on the shared broker, and ends by checking the books.
import { randomUUID } from 'node:crypto';
import { connectAdmin } from '@sagaport/rabbitmq/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  booksCheck,
  faultCatalogue,
  loadWithFault,
  readyz,
  type RunningSystem,
  sleep,
  startFaultSystem,
  usePrivateBroker,
} from './fault-setup.js';
import { mixedCheckout } from './load.js';
import { TcpProxy } from './tcp-proxy.js';

const stock = faultCatalogue(600);
const { skus } = stock;
const expectBooksStraight = booksCheck(stock);

/** One POST /checkouts that must answer within `timeoutMs` (it may not hang). */
async function tryCheckout(port: number, index: number, timeoutMs = 15_000) {
  const response = await fetch(`http://127.0.0.1:${port}/checkouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(mixedCheckout(skus)(index)),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { sagaId?: string; detail?: string; title?: string },
  };
}

/** Resident memory of a process in MiB (Linux). */
async function rssMiB(pid: number | undefined): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

describe('broker faults under load (private RabbitMQ node, real processes)', () => {
  const privateBroker = usePrivateBroker();
  let running: RunningSystem | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await privateBroker()
      .clearMemoryAlarm()
      .catch(() => undefined);
    await running?.system.stop();
    running = undefined;
    await proxy?.close();
    proxy = undefined;
  });

  it('a broker restart (stop_app, start_app) under load: every process reconnects and resubscribes, every saga ends', async () => {
    const node = privateBroker();
    running = await startFaultSystem(stock, { amqpUrl: node.url });
    const { system, api, workers } = running;
    let runningAtRestart = 0;
    const sagaIds = await loadWithFault(running, stock, {
      total: 40,
      concurrency: 8,
      faultAfter: 12,
      fault: async () => {
        const [row] = await system.database.sql<{ n: number }[]>`
          select count(*)::int as n from saga.instances where status in ('running', 'compensating')`;
        runningAtRestart = row!.n;
        await node.restartApp(3_000);
      },
    });
    expect(runningAtRestart).toBeGreaterThan(0);
    if (api.exited) console.error(api.output.join(''));
    expect(api.exited).toBe(false);
    expect(workers.exited).toBe(false);
    await expectBooksStraight(system, sagaIds);
    // Both processes subscribed again after the restart: the work queues have consumers.
    const admin = await connectAdmin(10_000, node.url);
    const channel = await admin.createChannel();
    expect((await channel.checkQueue(system.topology.queues.replies)).consumerCount).toBe(1);
    expect((await channel.checkQueue(system.topology.queues.commands.payment)).consumerCount).toBe(1);
    await admin.close();
  });

  it('a memory alarm: checkouts get 503 problem+json with Retry-After, /readyz says why, and every accepted saga ends once it clears', async () => {
    const node = privateBroker();
    running = await startFaultSystem(stock, { amqpUrl: node.url, env: { OUTBOX_MAX_AGE_SECONDS: '0' } });
    const { system, api } = running;
    const accepted: string[] = [];
    let index = 0;
    for (; index < 10; index += 1) {
      const answer = await tryCheckout(api.port, index);
      expect(answer.status).toBe(202);
      accepted.push(answer.body.sagaId!);
    }
    const rssBefore = await rssMiB(api.pid);
    await node.raiseMemoryAlarm();
    // Checkouts still accepted until the broker has blocked the connection; none may hang.
    let refused: Awaited<ReturnType<typeof tryCheckout>> | undefined;
    const deadline = Date.now() + 30_000;
    while (!refused && Date.now() < deadline) {
      const answer = await tryCheckout(api.port, index);
      if (answer.status === 503) refused = answer;
      else {
        expect(answer.status).toBe(202);
        accepted.push(answer.body.sagaId!);
        index += 1;
      }
      await sleep(100);
    }
    expect(refused, 'a checkout refused with 503 during the alarm').toBeDefined();
    expect(refused!.contentType).toContain('application/problem+json');
    expect(Number(refused!.retryAfter)).toBeGreaterThan(0);
    expect(refused!.body.detail).toMatch(/broker blocks publishing/);
    const ready = await readyz(api.port);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.backpressure).toBe('down');
    expect(ready.body.reasons?.backpressure).toMatch(/broker blocks publishing/);
    // Refusing costs nothing: a burst of refused checkouts leaves memory where it was.
    for (let i = 0; i < 200; i += 1) expect((await tryCheckout(api.port, index)).status).toBe(503);
    expect(await rssMiB(api.pid)).toBeLessThan(rssBefore + 100);

    await node.clearMemoryAlarm();
    const readyAgain = Date.now() + 30_000;
    while ((await readyz(api.port)).status !== 200 && Date.now() < readyAgain) await sleep(200);
    expect((await readyz(api.port)).status).toBe(200);
    for (const end = index + 10; index < end; index += 1) {
      const answer = await tryCheckout(api.port, index);
      expect(answer.status).toBe(202);
      accepted.push(answer.body.sagaId!);
    }
    await expectBooksStraight(system, accepted);
  });

  it('the outbox lagging past OUTBOX_MAX_AGE_SECONDS: checkouts get 503 until the relay catches up', async () => {
    running = await startFaultSystem(stock, {
      amqpUrl: privateBroker().url,
      env: { OUTBOX_MAX_AGE_SECONDS: '2' },
    });
    const { system, api } = running;
    // A row the relay cannot publish yet: it was written 10 s ago by "another process" and waits.
    await system.database.sql`
      insert into outbox (message_id, exchange, routing_key, message_type, headers, payload, created_at, available_at)
      values (${randomUUID()}, 'nowhere', 'nowhere', 'order.create', '{}', '{}', now() - interval '10 seconds', now() + interval '1 hour')`;
    let refused: Awaited<ReturnType<typeof tryCheckout>> | undefined;
    const deadline = Date.now() + 10_000;
    while (!refused && Date.now() < deadline) {
      const answer = await tryCheckout(api.port, 0);
      if (answer.status === 503) refused = answer;
      await sleep(200);
    }
    expect(refused?.status).toBe(503);
    expect(refused!.retryAfter).not.toBeNull();
    expect(refused!.body.detail).toMatch(/outbox's oldest message is \d+ s old/);
    expect((await readyz(api.port)).body.reasons?.backpressure).toMatch(/OUTBOX_MAX_AGE_SECONDS=2/);
  });

  it('a black-holed link (a proxy that forwards nothing and closes nothing): detected within two heartbeats, recovered, nothing lost', async () => {
    proxy = await TcpProxy.start(privateBroker().amqpPort);
    const link = proxy;
    // A 2 s heartbeat (AMQP_URL's `heartbeat` parameter) keeps the fault short.
    const heartbeatMs = 2_000;
    running = await startFaultSystem(stock, { amqpUrl: `${link.url()}?heartbeat=${heartbeatMs / 1000}` });
    const { system, api, workers } = running;
    let detectedApiMs = -1;
    let detectedWorkersMs = -1;
    const seen: string[] = [];
    const sagaIds = await loadWithFault(running, stock, {
      total: 40,
      concurrency: 8,
      retryForMs: 90_000,
      faultAfter: 12,
      fault: async () => {
        const started = Date.now();
        link.blackHole();
        // amqplib gives up after two heartbeat intervals without a byte, checked once per
        // interval: a dead link shows between two and three heartbeats after it died.
        while (Date.now() - started < 5 * heartbeatMs && (detectedApiMs < 0 || detectedWorkersMs < 0)) {
          const [apiReady, workersReady] = await Promise.all([readyz(api.port), readyz(workers.port)]);
          seen.push(
            `${Date.now() - started}ms ${JSON.stringify(apiReady.body.checks)} ${workersReady.status}`,
          );
          if (detectedApiMs < 0 && apiReady.body.checks.rabbitmq === 'down')
            detectedApiMs = Date.now() - started;
          if (detectedWorkersMs < 0 && workersReady.status !== 200) detectedWorkersMs = Date.now() - started;
          await sleep(250);
        }
        await sleep(Math.max(0, 5 * heartbeatMs - (Date.now() - started)));
        link.restore();
      },
    });
    if (detectedApiMs < 0 || detectedWorkersMs < 0) console.info(seen.join('\n'), api.output.join(''));
    console.info(
      `black hole detected after ${detectedApiMs} ms (orchestrator), ${detectedWorkersMs} ms (workers)`,
    );
    const bound = 3 * heartbeatMs + 1_500; // plus the /readyz polling and a loaded machine's slack
    expect(detectedApiMs).toBeGreaterThanOrEqual(0);
    expect(detectedApiMs).toBeLessThan(bound);
    expect(detectedWorkersMs).toBeGreaterThanOrEqual(0);
    expect(detectedWorkersMs).toBeLessThan(bound);
    expect(api.exited).toBe(false);
    expect(workers.exited).toBe(false);
    await expectBooksStraight(system, sagaIds, 90_000);
  });
});
