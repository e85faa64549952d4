// Asks before a consequential action, optionally for a reason that goes into the audit log.
import { useState, type ReactNode } from 'react';
import { ErrorState } from './states.js';
import { Dialog } from './Dialog.js';

export interface ConfirmDialogProps {
  readonly title: string;
  readonly children: ReactNode;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  /** Ask for a free-text reason (recorded in the audit log). */
  readonly withReason?: boolean;
  readonly busy?: boolean;
  /** Keep the confirm button off (e.g. a preview says the action would be refused). */
  readonly disabled?: boolean;
  readonly error?: unknown;
  readonly onConfirm: (reason: string) => void;
  readonly onCancel: () => void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const [reason, setReason] = useState('');
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.onConfirm(reason.trim());
        }}
      >
        <div className="dialog__body">{props.children}</div>
        {props.withReason ? (
          <label className="field">
            <span>Reason (kept in the audit log)</span>
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} data-autofocus />
          </label>
        ) : null}
        {props.error ? <ErrorState error={props.error} /> : null}
        <div className="dialog__actions">
          <button type="button" className="btn" onClick={props.onCancel}>
            Cancel
          </button>
          <button
            type="submit"
            className={`btn ${props.danger ? 'btn--danger' : 'btn--primary'}`}
            disabled={props.busy || props.disabled}
            {...(props.withReason ? {} : { 'data-autofocus': true })}
          >
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
