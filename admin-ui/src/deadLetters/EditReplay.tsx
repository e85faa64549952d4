// Edit-and-replay: a JSON editor checked against the message's contract as you type, a merge view, then replay.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { replayDeadLetter, validateDeadLetterBody } from '../api/deadLetters.js';
import type { DeadLetterDetail, FieldError, ReplayAccepted } from '../api/types.js';
import { useDebouncedValue } from '../ui/useDebouncedValue.js';
import { ErrorState } from '../ui/states.js';
import { JsonEditor, type JsonEditorHandle } from './JsonEditor.js';
import { MergeDiff } from './MergeDiff.js';
import { fieldPosition, pretty, syntaxErrorOf } from './jsonPositions.js';

type Parsed =
  { ok: true; value: unknown; error?: undefined } | { ok: false; value?: undefined; error: string };

function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** The editor's starting text: the body as pretty JSON, or as stored when it is not JSON. */
export function initialEditorText(deadLetter: Pick<DeadLetterDetail, 'body' | 'bodyJson'>): string {
  return deadLetter.bodyJson !== undefined && deadLetter.bodyJson !== null
    ? pretty(deadLetter.bodyJson)
    : deadLetter.body;
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
  const [initialText] = useState(() => initialEditorText(deadLetter));
  const [text, setText] = useState(initialText);
  const [reason, setReason] = useState('');
  const editor = useRef<JsonEditorHandle>(null);
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
  const changed = parsed.ok && JSON.stringify(parsed.value) !== JSON.stringify(original);
  const rejected: readonly FieldError[] = replay.error instanceof ApiError ? replay.error.errors : [];
  const errors = parsed.ok && !checking ? [...(validation.data?.errors ?? []), ...rejected] : [];
  const valid = parsed.ok && !checking && validation.data?.valid === true && rejected.length === 0;
  const point = (field: string) => editor.current?.focusField(field);
  const errorsKey = JSON.stringify(errors);
  const editorErrors = useMemo(() => JSON.parse(errorsKey) as FieldError[], [errorsKey]);
  const syntax = useMemo(() => (parsed.ok ? null : syntaxErrorOf(text)), [parsed.ok, text]);
  const status = !parsed.ok
    ? {
        tone: 'danger',
        text: `Not valid JSON at line ${syntax?.line ?? '?'}, column ${syntax?.column ?? '?'}: ${parsed.error}`,
      }
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
          <span className="field" id="body-editor-label">
            <span>Message body (JSON)</span>
          </span>
          <JsonEditor
            ref={editor}
            initialText={initialText}
            labelledBy="body-editor-label"
            describedBy="edit-status edit-errors"
            invalid={!valid && !checking}
            errors={editorErrors}
            onChange={(next) => {
              setText(next);
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
            {errors.map((error) => {
              const at = fieldPosition(text, error.field);
              return (
                <li key={`${error.field}:${error.message}`}>
                  <button type="button" className="link-button" onClick={() => point(error.field)}>
                    <code>{error.field}</code>
                  </button>{' '}
                  {at ? (
                    <span className="muted small">
                      line {at.line}, column {at.column}:{' '}
                    </span>
                  ) : null}
                  {error.message}
                </li>
              );
            })}
          </ul>
          {validation.isError ? <ErrorState error={validation.error} /> : null}
        </div>
        <div>
          <h3>Changes</h3>
          {changed ? null : (
            <p className="muted" role="status">
              No changes yet: the edit equals the original.
            </p>
          )}
          <MergeDiff original={initialText} edited={text} />
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
