// Operator actions on a saga: resend the current step's command, or compensate.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { compensateSaga, retrySagaStep } from '../api/sagas.js';
import { stepsInFlight } from './in-flight.js';
import type { SagaSummary } from '../api/types.js';
import { ConfirmDialog } from '../ui/ConfirmDialog.js';

type Action = 'retry' | 'compensate';

/** Sagas that have ended have nothing left to retry or compensate. */
export function canAct(saga: Pick<SagaSummary, 'status'>): boolean {
  return saga.status === 'running' || saga.status === 'compensating' || saga.status === 'failed';
}

export function SagaActions({ saga }: { saga: SagaSummary & { state?: unknown } }) {
  const [open, setOpen] = useState<Action | null>(null);
  const client = useQueryClient();
  const action = useMutation({
    mutationFn: (which: Action) => (which === 'retry' ? retrySagaStep(saga.id) : compensateSaga(saga.id)),
    onSuccess: async () => {
      setOpen(null);
      await client.invalidateQueries({ queryKey: ['saga', saga.id] });
    },
  });
  const close = () => {
    setOpen(null);
    action.reset();
  };
  const disabled = !canAct(saga);
  const inFlight = stepsInFlight(saga);
  return (
    <div className="button-row">
      <button type="button" className="btn" disabled={disabled} onClick={() => setOpen('retry')}>
        Retry step
      </button>
      <button
        type="button"
        className="btn btn--danger"
        disabled={disabled || saga.status !== 'running'}
        onClick={() => setOpen('compensate')}
      >
        Compensate
      </button>
      {open === 'retry' ? (
        <ConfirmDialog
          title="Retry the current step?"
          confirmLabel="Retry step"
          busy={action.isPending}
          error={action.error}
          onCancel={close}
          onConfirm={() => action.mutate('retry')}
        >
          <p>
            {inFlight.length > 1 ? 'The commands of steps ' : 'The command of step '}
            {inFlight.length > 0
              ? inFlight.map((step, i) => (
                  <span key={step}>
                    {i > 0 ? ' and ' : ''}
                    <code>{step}</code>
                  </span>
                ))
              : '?'}{' '}
            {inFlight.length > 1 ? 'are' : 'is'} sent again with the same message id; workers that already
            handled it answer from their inbox without doing it twice.
          </p>
        </ConfirmDialog>
      ) : null}
      {open === 'compensate' ? (
        <ConfirmDialog
          title="Compensate this saga?"
          confirmLabel="Compensate"
          danger
          busy={action.isPending}
          error={action.error}
          onCancel={close}
          onConfirm={() => action.mutate('compensate')}
        >
          <p>
            The running step is abandoned and every completed step is undone in reverse order: the order is
            cancelled, stock released, the charge refunded. This cannot be reversed.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
