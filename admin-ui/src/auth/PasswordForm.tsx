// Changing one's own password: the current one, the new one twice; other sessions end on success.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { changePassword } from '../api/auth.js';
import { ApiError } from '../api/client.js';
import { describeError } from '../ui/states.js';

/** The shortest password the server accepts. */
export const MIN_PASSWORD_LENGTH = 12;

/** Field errors to show, by field: the server's (422) or the form's own checks. */
function fieldMessages(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
}

export function PasswordForm() {
  const ids = { current: useId(), next: useId(), repeat: useId() };
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const client = useQueryClient();
  const change = useMutation({
    mutationFn: () => changePassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      void client.invalidateQueries({ queryKey: ['account', 'sessions'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const differs = next !== repeat;
    setMismatch(differs);
    if (!differs) change.mutate();
  };
  const fields = fieldMessages(change.error);
  const general = change.isError && Object.keys(fields).length === 0 ? describeError(change.error) : null;
  const errorOf = (field: string) =>
    field === 'repeat' && mismatch ? 'does not match the new password' : fields[field];
  const describedBy = (field: string, id: string) => (errorOf(field) ? `${id}-error` : undefined);
  return (
    <form className="stack-form" onSubmit={submit} aria-label="Change your password">
      {(['currentPassword', 'newPassword', 'repeat'] as const).map((field) => {
        const id =
          field === 'currentPassword' ? ids.current : field === 'newPassword' ? ids.next : ids.repeat;
        const label =
          field === 'currentPassword'
            ? 'Current password'
            : field === 'newPassword'
              ? 'New password'
              : 'Repeat the new password';
        const value = field === 'currentPassword' ? current : field === 'newPassword' ? next : repeat;
        const set = field === 'currentPassword' ? setCurrent : field === 'newPassword' ? setNext : setRepeat;
        const message = errorOf(field);
        return (
          <div className="field" key={field}>
            <label htmlFor={id}>{label}</label>
            <input
              id={id}
              type="password"
              required
              minLength={field === 'currentPassword' ? 1 : MIN_PASSWORD_LENGTH}
              autoComplete={field === 'currentPassword' ? 'current-password' : 'new-password'}
              value={value}
              aria-invalid={message ? true : undefined}
              aria-describedby={describedBy(field, id)}
              onChange={(e) => set(e.target.value)}
            />
            {message ? (
              <span id={`${id}-error`} className="field__error">
                {label} {message}.
              </span>
            ) : null}
          </div>
        );
      })}
      <p className="muted small">
        At least {MIN_PASSWORD_LENGTH} characters. Your other sessions are signed out.
      </p>
      {general ? (
        <p className="form-error" role="alert">
          {general.title}
          {general.detail ? `: ${general.detail}` : ''}
        </p>
      ) : null}
      {Object.keys(fields).length > 0 || mismatch ? (
        <p className="form-error" role="alert">
          The password was not changed; see the fields above.
        </p>
      ) : null}
      {change.isSuccess ? (
        <p className="banner banner--success" role="status">
          Password changed. Your other sessions were signed out.
        </p>
      ) : null}
      <div className="button-row">
        <button type="submit" className="btn btn--primary" disabled={change.isPending}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}
