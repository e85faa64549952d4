import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFile(`${repo}${path}`, 'utf8');

interface Service {
  environment?: Record<string, string>;
  volumes?: string[];
}

describe('the container stack (no Docker engine here: checked as files)', () => {
  it('compose.yaml validates against the compose specification schema', async () => {
    // The vendored schema names draft-07 by its https address; Ajv knows draft-07 as its default.
    const { $schema: _draft, ...schema } = JSON.parse(await read('ops/compose/compose-spec.schema.json')) as {
      $schema: string;
    };
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const compose = parse(await read('compose.yaml')) as unknown;
    validate(compose);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('wires the orchestrator and workers to the broker, Jaeger and each other, and mounts the shipped ops files', async () => {
    const compose = parse(await read('compose.yaml')) as { services: Record<string, Service> };
    const { orchestrator, workers, prometheus, grafana } = compose.services;
    expect(orchestrator?.environment?.['RABBITMQ_MANAGEMENT_URL']).toMatch(/^http:\/\/[^@]+@rabbitmq:15672$/);
    for (const service of [orchestrator, workers]) {
      expect(service?.environment).toMatchObject({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
        METRICS_HOST: '0.0.0.0',
      });
    }
    expect(orchestrator?.environment?.['TRACE_URL_TEMPLATE']).toContain('{traceId}');
    expect(compose.services['jaeger']).toBeDefined();
    expect(prometheus?.volumes).toContain('./ops/prometheus:/etc/prometheus:ro');
    expect(grafana?.volumes).toEqual(
      expect.arrayContaining([
        './ops/grafana/provisioning:/etc/grafana/provisioning:ro',
        './ops/grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });

  it('the Dockerfile copies every workspace manifest and patches/ before npm ci, and runs as a non-root user', async () => {
    const dockerfile = await read('Dockerfile');
    const lines = dockerfile.split('\n');
    const npmCi = lines.findIndex((l) => /^RUN npm ci\b/.test(l));
    expect(npmCi).toBeGreaterThan(0);
    const before = lines.slice(0, npmCi).join('\n');
    const { workspaces } = JSON.parse(await read('package.json')) as { workspaces: string[] };
    for (const workspace of workspaces) {
      expect(before, `${workspace}/package.json before npm ci`).toMatch(
        new RegExp(`^COPY ${workspace}/package\\.json ${workspace}/$`, 'm'),
      );
    }
    expect(before).toMatch(/^COPY patches patches\/$/m);
    expect(before).toMatch(/^COPY package\.json package-lock\.json /m);
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtimeStage).toMatch(/^USER (?!root)\w+$/m);
    expect(runtimeStage).not.toMatch(/^COPY --from=build \/app \/app$/m);
  });
});
