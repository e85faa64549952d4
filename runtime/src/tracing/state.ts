// Whether this process records spans: one boolean the message path checks before any tracing work.
let enabled = false;

/** True once `startTracing` registered a provider; false means: create no span, inject nothing. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Set by `startTracing` (and by tests that register their own provider). */
export function setTracingEnabled(value: boolean): void {
  enabled = value;
}
