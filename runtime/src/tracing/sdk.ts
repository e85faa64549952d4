// Starts OpenTelemetry tracing from the standard OTEL_* variables; off (and not even loaded) by default.
import { setTracingEnabled } from './state.js';

/** What `startTracing` started: whether spans are recorded, and how to flush them at shutdown. */
export interface TracingHandle {
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops the exporter; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

const exporters = ['otlp', 'console', 'none'] as const;

/** The exporters named by OTEL_TRACES_EXPORTER (comma-separated); empty when tracing is off. */
export function tracesExporters(env: NodeJS.ProcessEnv = process.env): ('otlp' | 'console')[] {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return [];
  const names = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  for (const name of names) {
    if (!(exporters as readonly string[]).includes(name)) {
      throw new Error(
        `OTEL_TRACES_EXPORTER: "${name}" is not supported; use otlp, console or none (or leave it unset: no tracing)`,
      );
    }
  }
  return names.includes('none') ? [] : (names as ('otlp' | 'console')[]);
}

/**
 * Starts the tracer provider when OTEL_TRACES_EXPORTER names an exporter (`otlp`, `console`).
 * Everything else comes from the standard variables the SDK reads itself: OTEL_SERVICE_NAME
 * (default `defaultServiceName`), OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_ENDPOINT (and
 * the other OTEL_EXPORTER_OTLP_* settings), OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG,
 * OTEL_BSP_*. Call it first in a process's main, before any message or request is handled.
 * Unset or `none`: nothing is loaded and the message path creates no span at all.
 */
export async function startTracing(
  defaultServiceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TracingHandle> {
  const names = tracesExporters(env);
  if (names.length === 0) return { enabled: false, shutdown: () => Promise.resolve() };
  const [{ NodeTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter }, resources] =
    await Promise.all([import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/resources')]);
  const processors = await Promise.all(
    names.map(async (name) => {
      if (name === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new BatchSpanProcessor(new OTLPTraceExporter());
    }),
  );
  const resource = resources
    .resourceFromAttributes({ 'service.name': defaultServiceName })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register();
  setTracingEnabled(true);
  return {
    enabled: true,
    async shutdown() {
      setTracingEnabled(false);
      await provider.shutdown();
    },
  };
}

/** A span as {@link recordSpans} keeps it: its ids, its parent's (empty for a root), name and attributes. */
export interface RecordedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * For tests: registers a provider that keeps every ended span in memory (and the W3C trace-context
 * propagator) and turns tracing on; `stop` turns it off again and unregisters both.
 */
export async function recordSpans(): Promise<{
  spans(): RecordedSpan[];
  stop(): Promise<void>;
}> {
  const [{ BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor }, { propagation, trace }, core] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/api'),
      import('@opentelemetry/core'),
    ]);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  setTracingEnabled(true);
  return {
    spans: () =>
      exporter.getFinishedSpans().map((s) => {
        const { traceId, spanId } = s.spanContext();
        const parentSpanId = s.parentSpanContext?.spanId ?? '';
        return { traceId, spanId, parentSpanId, name: s.name, attributes: s.attributes };
      }),
    async stop() {
      setTracingEnabled(false);
      trace.disable();
      propagation.disable();
      await provider.shutdown();
    },
  };
}
