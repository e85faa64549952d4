// Creating an API token: name, scope (at most the user's role) and lifetime; the secret is shown once, then forgotten.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import { createToken } from '../api/tokens.js';
import type { CreatedApiToken, Role } from '../api/types.js';
import { formatTime } from '../ui/format.js';
import { ErrorState } from '../ui/states.js';

/** The lifetime the form proposes; the server's default and maximum still apply. */
const DEFAULT_DAYS = 30;

export function NewTokenForm({ role }: { role: Role }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Role>('viewer');
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  // Kept only in this component's state, never in the query cache, and dropped on "Done".
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => createToken({ name: name.trim(), scope, expiresInDays: Number(days) }),
    onSuccess: (answer) => {
      setCreated(answer);
      setName('');
      create.reset();
      void client.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const fieldError = (field: string) =>
    create.error instanceof ApiError
      ? create.error.errors.find((e) => e.field === field)?.message
      : undefined;

  if (created) return <CreatedToken created={created} onDone={() => setCreated(null)} />;
  return (
    <form className="filters" aria-label="Create a token" onSubmit={submit}>
      <label className="field field--wide">
        <span>Name</span>
        <input
          required
          maxLength={100}
          value={name}
          placeholder="e.g. nightly replay script"
          onChange={(e) => setName(e.target.value)}
          aria-invalid={fieldError('name') ? true : undefined}
        />
      </label>
      <label className="field">
        <span>Scope</span>
        <select value={scope} onChange={(e) => setScope(e.target.value as Role)}>
          <option value="viewer">viewer (read only)</option>
          <option value="operator" disabled={role !== 'operator'}>
            operator (read and change)
          </option>
        </select>
      </label>
      <label className="field">
        <span>Expires in (days)</span>
        <input
          type="number"
          min={1}
          required
          value={days}
          onChange={(e) => setDays(e.target.value)}
          aria-invalid={fieldError('expiresInDays') ? true : undefined}
        />
      </label>
      <div className="filters__actions">
        <button type="submit" className="btn btn--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </div>
      {create.isError ? <ErrorState error={create.error} /> : null}
    </form>
  );
}

/** The new token's secret, once, with a copy button. */
function CreatedToken({ created, onDone }: { created: CreatedApiToken; onDone: () => void }) {
  const inputId = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(created.secret);
    setCopied(true);
  };
  return (
    <section className="token-secret" aria-labelledby={`${inputId}-title`}>
      <h3 id={`${inputId}-title`}>Token “{created.token.name}” created</h3>
      <p role="alert">
        Copy it now: it is shown only this once. It acts as you with the {created.token.scope} scope until{' '}
        {formatTime(created.token.expiresAt)}.
      </p>
      <label className="field" htmlFor={inputId}>
        <span>Token</span>
      </label>
      <div className="token-secret__row">
        <input
          id={inputId}
          className="mono"
          readOnly
          value={created.secret}
          onFocus={(e) => e.target.select()}
          data-autofocus
        />
        <button type="button" className="btn" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="btn btn--primary" onClick={onDone}>
          Done
        </button>
      </div>
      <p className="muted">
        Use it as <code>SAGAPORT_TOKEN</code> for <code>npx sagaport</code>, or send{' '}
        <code>Authorization: Bearer …</code>.
      </p>
    </section>
  );
}
