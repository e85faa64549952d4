import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkoutBody, postCheckout } from './client.js';
import { freePort, System, type ManagedProcess } from './harness.js';

const ops = fileURLToPath(new URL('../../ops/', import.meta.url));
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const CHECKOUTS = 3;

interface QueryAnswer {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function eventually<T>(
  read: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Grafana's built-in interval variables, as Grafana would expand them for a short range. */
function expandGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '1h');
}

describe("Prometheus (Debian's binary) scraping the real processes with the shipped configuration", () => {
  let system: System;
  let api: ManagedProcess;
  let workers: ManagedProcess;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let base: string;
  const output: string[] = [];

  const query = async (expr: string): Promise<QueryAnswer> => {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryAnswer;
  };

  beforeAll(async () => {
    system = await System.create({
      catalogue: [{ sku: 'SKU-P1', priceCents: 700, available: 100 }],
      env: { METRICS_SAMPLE_INTERVAL_MS: '1000' },
    });
    api = await system.startOrchestrator();
    workers = await system.startWorkers();
    for (let i = 0; i < CHECKOUTS; i += 1) {
      const answer = await postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-P1', quantity: 1 }] }), {
        waitSeconds: 20,
      });
      expect(answer.status).toBe('completed');
    }
    // The shipped configuration, with this test's targets and a fast scrape.
    dir = await mkdtemp(join(tmpdir(), 'sagaport-prometheus-'));
    const config = parse(await readFile(join(ops, 'prometheus/prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: Record<string, unknown>[];
    };
    const targets: Record<string, string> = {
      'sagaport-orchestrator': `127.0.0.1:${api.metricsPort}`,
      'sagaport-workers': `127.0.0.1:${workers.metricsPort}`,
      rabbitmq: '127.0.0.1:15692',
    };
    expect(config.scrape_configs.map((c) => c['job_name']).sort()).toEqual(Object.keys(targets).sort());
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((file) => join(ops, 'prometheus', file));
    config.scrape_configs = config.scrape_configs.map(
      ({ dns_sd_configs: _dns, static_configs: _static, ...job }) => ({
        ...job,
        // The shared broker's per-object metrics list every test's queues: give it time.
        ...(job['job_name'] === 'rabbitmq' ? { scrape_interval: '5s', scrape_timeout: '5s' } : {}),
        static_configs: [{ targets: [targets[job['job_name'] as string]] }],
      }),
    );
    await writeFile(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    prometheus.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    await eventually(
      async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined),
      'Prometheus ready',
    );
  });
  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    await system?.stop();
  });

  it('scrapes every process and the broker, and a PromQL query returns the sagas the test completed', async () => {
    const completed = await eventually(async () => {
      const answer = await query(
        'sum(sagaport_sagas_ended_total{job="sagaport-orchestrator", outcome="completed"})',
      );
      const value = Number(answer.data?.result[0]?.value[1]);
      return value === CHECKOUTS ? value : undefined;
    }, 'the completed sagas in Prometheus');
    expect(completed).toBe(CHECKOUTS);
    const up = await eventually<Record<string, string>>(async () => {
      const answer = await query('up');
      const byJob: Record<string, string> = Object.fromEntries(
        answer.data!.result.map((r): [string, string] => [r.metric['job'] ?? '', r.value[1]]),
      );
      return Object.keys(byJob).length === 3 && Object.values(byJob).every((v) => v === '1')
        ? byJob
        : undefined;
    }, 'every target up');
    expect(up).toEqual({ 'sagaport-orchestrator': '1', 'sagaport-workers': '1', rabbitmq: '1' });
    // The sampled gauges reach Prometheus: a work queue of this test with its consumer.
    const consumers = await eventually(async () => {
      const answer = await query(`sagaport_queue_consumers{queue="${system.topology.queues.replies}"}`);
      // The management API refreshes its figures every few seconds.
      const value = Number(answer.data?.result[0]?.value[1]);
      return value >= 1 ? value : undefined;
    }, 'the consumers of the replies queue');
    expect(Number(consumers)).toBeGreaterThanOrEqual(1);
    // And the gauges read from PostgreSQL: no saga left running or failed.
    const sagas = await eventually(async () => {
      const answer = await query('sagaport_sagas{job="sagaport-orchestrator"}');
      return answer.data?.result.length === 6 ? answer.data.result : undefined;
    }, 'the saga gauges');
    expect(sagas.map((r) => [r.metric['saga'], r.metric['status'], r.value[1]]).sort()).toEqual([
      ['checkout', 'compensating', '0'],
      ['checkout', 'failed', '0'],
      ['checkout', 'running', '0'],
      ['order-cancellation', 'compensating', '0'],
      ['order-cancellation', 'failed', '0'],
      ['order-cancellation', 'running', '0'],
    ]);
  });

  it('evaluates every alert rule without error', async () => {
    const groups = await eventually(async () => {
      const answer = (await (await fetch(`${base}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const rules = answer.data.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => r.health !== 'unknown') ? rules : undefined;
    }, 'the rules evaluated');
    expect(groups.filter((r) => r.health !== 'ok')).toEqual([]);
    expect(groups).toHaveLength(7);
  });

  it("runs every dashboard panel's query, and each one parses and evaluates", async () => {
    const files = (await readdir(join(ops, 'grafana/dashboards'))).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const failures: string[] = [];
    let queries = 0;
    for (const file of files) {
      const dashboard = JSON.parse(await readFile(join(ops, 'grafana/dashboards', file), 'utf8')) as {
        panels: { title: string; targets?: { expr: string }[] }[];
      };
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          queries += 1;
          const answer = await query(expandGrafanaVariables(target.expr));
          if (answer.status !== 'success')
            failures.push(`${file} "${panel.title}": ${answer.errorType}: ${answer.error}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(queries).toBeGreaterThan(20);
  });
});
