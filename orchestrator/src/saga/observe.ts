// Turns committed saga transitions into metrics: starts, ends by outcome, saga and step durations.
import type { OrchestratorMetrics } from '../observability/metrics.js';
import { inFlight } from './transition.js';
import { type SagaState, terminalStatuses, type Transition } from './types.js';

/** Records what one transition means for the saga and step metrics. */
export function observeTransition(
  metrics: OrchestratorMetrics,
  saga: string,
  before: SagaState | null,
  after: Transition,
  createdAt: Date,
): void {
  if (!before) {
    metrics.sagasStarted.inc({ saga });
    return;
  }
  const status = after.state.status;
  if (terminalStatuses.includes(status) && !terminalStatuses.includes(before.status)) {
    metrics.sagasEnded.inc({ saga, outcome: status });
    metrics.sagaDuration.observe({ saga, outcome: status }, (Date.now() - createdAt.getTime()) / 1000);
  }
  const stepEvent = after.events.find((e) => e.kind === 'step.succeeded' || e.kind === 'step.refused');
  const stepName = (stepEvent?.detail as { step?: string } | undefined)?.step;
  const step = inFlight(before).find((c) => c.step === stepName);
  if (step && stepEvent && step.sentAt) {
    metrics.stepDuration.observe(
      { saga, step: step.step, outcome: stepEvent.kind === 'step.succeeded' ? 'succeeded' : 'refused' },
      (Date.now() - step.sentAt) / 1000,
    );
  }
}
