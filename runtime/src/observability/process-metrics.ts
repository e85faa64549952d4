// Node.js process metrics (CPU, memory, GC, event-loop lag) for a process's /metrics.
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * How often the event-loop lag is sampled. prom-client samples every 10 ms by default, with a
 * repeating timer that wakes an idle process 100 times a second; on a paravirtualised VM each
 * wake-up costs a context switch and a cold start. Every 100 ms still catches any stall an
 * operator cares about (the lag of each sample is measured exactly; only the sampling is sparser).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** Registers prom-client's default process metrics on `register`. */
export function collectProcessMetrics(register: Registry): void {
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
