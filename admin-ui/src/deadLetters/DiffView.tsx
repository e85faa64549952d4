// A unified diff of the original body and the edit, with a summary of the changed fields.
import { useMemo } from 'react';
import { changedFields, diffLines, pretty } from './jsonDiff.js';

const summarise = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** Context lines kept around each change; longer unchanged runs fold into one line. */
const CONTEXT = 3;

export function DiffView({ original, edited }: { original: unknown; edited: unknown }) {
  const lines = useMemo(() => diffLines(pretty(original), pretty(edited)), [original, edited]);
  const changes = useMemo(() => changedFields(original, edited), [original, edited]);
  if (changes.length === 0) {
    return (
      <p className="muted" role="status">
        No changes yet: the edit equals the original.
      </p>
    );
  }
  const near = lines.map((_, i) =>
    lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((l) => l.kind !== 'same'),
  );
  return (
    <div className="diff" aria-label="Changes against the original">
      <ul className="diff__summary">
        {changes.map((change) => (
          <li key={`${change.kind}:${change.path}`} className={`diff__change diff__change--${change.kind}`}>
            <code>{change.path}</code>{' '}
            {change.kind === 'changed'
              ? `${summarise(change.before)} → ${summarise(change.after)}`
              : change.kind === 'added'
                ? `added ${summarise(change.after)}`
                : `removed (was ${summarise(change.before)})`}
          </li>
        ))}
      </ul>
      <pre className="code diff__lines" tabIndex={0} aria-label="Line diff">
        {lines.map((line, i) =>
          near[i] ? (
            <span key={i} className={`diff__line diff__line--${line.kind}`}>
              <span className="diff__sign" aria-hidden="true">
                {line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : ' '}
              </span>
              <span className="sr-only">{line.kind === 'same' ? '' : `${line.kind}: `}</span>
              {line.text}
              {'\n'}
            </span>
          ) : near[i - 1] ? (
            <span key={i} className="diff__line diff__line--fold">
              {'  ⋯\n'}
            </span>
          ) : null,
        )}
      </pre>
    </div>
  );
}
