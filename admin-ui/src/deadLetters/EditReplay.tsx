// Edit-and-replay: a JSON editor checked against the message's contract as you type, a diff, then replay.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { replayDeadLetter, validateDeadLetterBody } from '../api/deadLetters.js';
import type { DeadLetterDetail, FieldError, ReplayAccepted } from '../api/types.js';
import { useDebouncedValue } from '../ui/useDebouncedValue.js';
import { ErrorState } from '../ui/states.js';
import { DiffView } from './DiffView.js';
import { changedFields, parseJson, pretty } from './jsonDiff.js';

/** The editor's starting text: the body as pretty JSON, or as stored when it is not JSON. */
export function initialEditorText(deadLetter: Pick<DeadLetterDetail, 'body' | 'bodyJson'>): string {
  return deadLetter.bodyJson !== undefined && deadLetter.bodyJson !== null
    ? pretty(deadLetter.bodyJson)
    : deadLetter.body;
}

/** The character range of the line that holds `field`'s last named key, to point the editor at it. */
export function locateField(text: string, field: string): [number, number] | null {
  const key = field
    .split('.')
    .filter((part) => !/^\d+$/.test(part))
    .at(-1);
  if (!key || key === 'payload' || key === '(body)') return null;
  const at = text.indexOf(`"${key}"`);
  if (at < 0) return null;
  const start = text.lastIndexOf('\n', at) + 1;
  const end = text.indexOf('\n', at);
  return [start, end < 0 ? text.length : end];
}

export function EditReplay({
  deadLetter,
  onReplayed,
  onCancel,
  validateDelayMs = 400,
}: {
  deadLetter: DeadLetterDetail;
  onReplayed: (result: ReplayAccepted) => void;
  onCancel: () => void;
  validateDelayMs?: number;
}) {
  const original = deadLetter.bodyJson ?? null;
  const [text, setText] = useState(() => initialEditorText(deadLetter));
  const [reason, setReason] = useState('');
  const editor = useRef<HTMLTextAreaElement>(null);
  const parsed = useMemo(() => parseJson(text), [text]);
  const settledText = useDebouncedValue(text, validateDelayMs);
  const settled = useMemo(() => parseJson(settledText), [settledText]);
  const validation = useQuery({
    queryKey: ['dead-letter-validate', deadLetter.id, settledText],
    queryFn: () => validateDeadLetterBody(deadLetter.id, settled.value),
    enabled: settled.ok,
    staleTime: Infinity,
    retry: false,
  });
  const replay = useMutation({
    mutationFn: () =>
      replayDeadLetter(deadLetter.id, {
        body: parsed.value,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    onSuccess: (result) => onReplayed(result),
  });
  const checking = parsed.ok && (settledText !== text || validation.isFetching);
  const changed = parsed.ok && changedFields(original, parsed.value).length > 0;
  const rejected: readonly FieldError[] = replay.error instanceof ApiError ? replay.error.errors : [];
  const errors = parsed.ok && !checking ? [...(validation.data?.errors ?? []), ...rejected] : [];
  const valid = parsed.ok && !checking && validation.data?.valid === true && rejected.length === 0;
  const point = (field: string) => {
    const range = locateField(text, field);
    editor.current?.focus();
    if (range) editor.current?.setSelectionRange(range[0], range[1]);
  };
  const status = !parsed.ok
    ? { tone: 'danger', text: `Not valid JSON: ${parsed.error}` }
    : checking
      ? { tone: 'neutral', text: 'Checking against the contract…' }
      : validation.isError
        ? { tone: 'danger', text: 'The contract check failed; see below.' }
        : valid
          ? { tone: 'success', text: `Matches the ${deadLetter.messageType ?? 'message'} contract.` }
          : { tone: 'danger', text: `${errors.length} contract error${errors.length === 1 ? '' : 's'}` };
  return (
    <section className="edit-replay" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit and replay</h2>
      <div className="edit-replay__grid">
        <div>
          <label className="field" htmlFor="body-editor">
            <span>Message body (JSON)</span>
          </label>
          <textarea
            id="body-editor"
            ref={editor}
            className="code-editor"
            spellCheck={false}
            value={text}
            rows={Math.min(30, Math.max(10, text.split('\n').length + 1))}
            aria-invalid={!valid && !checking}
            aria-describedby="edit-status edit-errors"
            onChange={(e) => {
              setText(e.target.value);
              if (replay.isError) replay.reset();
            }}
          />
          <p
            id="edit-status"
            className={`validation validation--${status.tone}`}
            role="status"
            aria-live="polite"
          >
            {status.text}
          </p>
          <ul id="edit-errors" className="field-errors" aria-label="Contract errors">
            {errors.map((error) => (
              <li key={`${error.field}:${error.message}`}>
                <button type="button" className="link-button" onClick={() => point(error.field)}>
                  <code>{error.field}</code>
                </button>{' '}
                {error.message}
              </li>
            ))}
          </ul>
          {validation.isError ? <ErrorState error={validation.error} /> : null}
        </div>
        <div>
          <h3>Changes</h3>
          {parsed.ok ? (
            <DiffView original={original} edited={parsed.value} />
          ) : (
            <p className="muted">Fix the JSON to see the diff.</p>
          )}
        </div>
      </div>
      <label className="field">
        <span>Reason (kept in the audit log)</span>
        <input
          type="text"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="e.g. fixed the quantity type"
        />
      </label>
      {replay.isError && rejected.length === 0 ? <ErrorState error={replay.error} /> : null}
      <div className="button-row">
        <button
          type="button"
          className="btn btn--primary"
          disabled={!valid || !changed || replay.isPending}
          title={!changed ? 'Change the body first, or use Replay to send the original' : undefined}
          onClick={() => replay.mutate()}
        >
          {replay.isPending ? 'Replaying…' : 'Replay edited message'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
