// Prometheus metrics of the projection runners: lag in events and seconds, events applied, events parked.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ProjectionMetrics {
  readonly lagEvents: Gauge<'projection'>;
  readonly lagSeconds: Gauge<'projection'>;
  readonly applied: Counter<'projection'>;
  readonly parked: Counter<'projection'>;
}

/** Creates and registers the projection metrics on `registry`. */
export function createProjectionMetrics(registry: Registry): ProjectionMetrics {
  return {
    lagEvents: new Gauge({
      name: 'sagaport_projection_lag_events',
      help: 'Events in the stream after the projection’s checkpoint (measured every few seconds).',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: 'sagaport_projection_lag_seconds',
      help: 'Time between the last event applied and the last event in the stream; 0 when caught up.',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    applied: new Counter({
      name: 'sagaport_projection_events_applied_total',
      help: 'Events applied by this process’s runner of the projection.',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    parked: new Counter({
      name: 'sagaport_projection_events_parked_total',
      help: 'Events the projection could not apply and parked.',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
  };
}
