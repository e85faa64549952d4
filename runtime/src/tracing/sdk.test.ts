import { afterEach, describe, expect, it } from 'vitest';
import { deliveryTracer } from './messaging.js';
import { startTracing, tracesExporters } from './sdk.js';
import { setTracingEnabled, tracingEnabled } from './state.js';

describe('tracing configuration (OTEL_* variables)', () => {
  afterEach(() => setTracingEnabled(false));

  it('is off unless OTEL_TRACES_EXPORTER names an exporter', () => {
    expect(tracesExporters({})).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: '' })).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toEqual([]);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual(['otlp']);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: ' OTLP , console' })).toEqual(['otlp', 'console']);
  });

  it('refuses an exporter it does not ship, naming the variable and the choices', () => {
    expect(() => tracesExporters({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /OTEL_TRACES_EXPORTER: "zipkin" is not supported; use otlp, console or none/,
    );
  });

  it('when off, starts nothing and gives the consumers no tracer: the message path does no tracing work', async () => {
    const handle = await startTracing('test', {});
    expect(handle.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    expect(deliveryTracer('some.queue')).toBeUndefined();
    await handle.shutdown();
  });
});
