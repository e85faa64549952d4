// Replay, edit-and-replay and discard of one dead letter; operators only, and only while it is open.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { discardDeadLetter, replayDeadLetter } from '../api/deadLetters.js';
import type { DeadLetterDetail, ReplayAccepted } from '../api/types.js';
import { ConfirmDialog } from '../ui/ConfirmDialog.js';
import { ReplayPreviewPanel, useReplayPreview } from './ReplayPreview.js';

type Dialog = 'replay' | 'discard' | null;

export function DeadLetterActions({
  deadLetter,
  editing,
  onEdit,
  onReplayed,
}: {
  deadLetter: DeadLetterDetail;
  editing: boolean;
  onEdit: () => void;
  onReplayed: (result: ReplayAccepted) => void;
}) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: ['dead-letter', deadLetter.id] });
  const replay = useMutation({
    mutationFn: (reason: string) => replayDeadLetter(deadLetter.id, reason ? { reason } : {}),
    onSuccess: async (result) => {
      setDialog(null);
      onReplayed(result);
      await refresh();
    },
  });
  const discard = useMutation({
    mutationFn: (reason: string) => discardDeadLetter(deadLetter.id, reason || undefined),
    onSuccess: async () => {
      setDialog(null);
      await refresh();
    },
  });
  const preview = useReplayPreview(deadLetter.id, dialog === 'replay');
  const blocked = !deadLetter.replayable.ok;
  return (
    <div className="button-row">
      <button
        type="button"
        className="btn btn--primary"
        disabled={blocked}
        onClick={() => setDialog('replay')}
      >
        Replay
      </button>
      {/* `replayable` speaks of the original body: an open dead letter can still be edited and replayed. */}
      <button
        type="button"
        className="btn"
        disabled={deadLetter.status !== 'open' || editing}
        onClick={onEdit}
      >
        Edit and replay
      </button>
      <button
        type="button"
        className="btn btn--danger"
        disabled={deadLetter.status !== 'open'}
        onClick={() => setDialog('discard')}
      >
        Discard
      </button>
      {blocked && deadLetter.replayable.reason ? (
        <span className="muted small">Cannot replay as is: {deadLetter.replayable.reason}</span>
      ) : null}
      {dialog === 'replay' ? (
        <ConfirmDialog
          title="Replay this message?"
          confirmLabel="Replay"
          withReason
          busy={replay.isPending}
          disabled={preview.data?.willReplay !== true}
          error={replay.error}
          onCancel={() => setDialog(null)}
          onConfirm={(reason) => replay.mutate(reason)}
        >
          <p>
            The original {deadLetter.messageType ?? 'message'} is republished unchanged to{' '}
            <code>{deadLetter.originalExchange ?? 'its exchange'}</code> with routing key{' '}
            <code>{deadLetter.originalRoutingKey ?? '?'}</code>.
          </p>
          <ReplayPreviewPanel query={preview} />
        </ConfirmDialog>
      ) : null}
      {dialog === 'discard' ? (
        <ConfirmDialog
          title="Discard this dead letter?"
          confirmLabel="Discard"
          danger
          withReason
          busy={discard.isPending}
          error={discard.error}
          onCancel={() => setDialog(null)}
          onConfirm={(reason) => discard.mutate(reason)}
        >
          <p>
            It will not be replayed. The record stays in the archive, marked discarded, and the saga keeps
            waiting for this message unless an operator compensates it.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
