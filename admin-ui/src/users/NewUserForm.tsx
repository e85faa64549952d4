// Operators add a console user: email, name, role and a first password to hand over.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createUser } from '../api/auth.js';
import { ApiError } from '../api/client.js';
import type { Role } from '../api/types.js';
import { MIN_PASSWORD_LENGTH } from '../auth/PasswordForm.js';
import { describeError } from '../ui/states.js';
import { usersKey } from './UserActions.js';

export function NewUserForm() {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () => createUser({ email: email.trim(), name: name.trim(), role, password }),
    onSuccess: async () => {
      setEmail('');
      setName('');
      setPassword('');
      await client.invalidateQueries({ queryKey: usersKey });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const problem = create.error instanceof ApiError ? create.error : null;
  const general = create.isError ? describeError(create.error) : null;
  return (
    <form className="filters" onSubmit={submit} aria-label="Add a user">
      <label className="field field--wide">
        <span>Email</span>
        <input
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="off"
        />
      </label>
      <label className="field">
        <span>Name</span>
        <input required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </label>
      <label className="field">
        <span>Role</span>
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
        </select>
      </label>
      <label className="field">
        <span>First password</span>
        <input
          type="password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
        />
      </label>
      <div className="filters__actions">
        <button type="submit" className="btn btn--primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add user'}
        </button>
      </div>
      {general ? (
        <p className="form-error" role="alert">
          {general.title}
          {problem?.errors.length
            ? `: ${problem.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`
            : general.detail
              ? `: ${general.detail}`
              : ''}
        </p>
      ) : null}
      {create.isSuccess ? (
        <p className="banner banner--success" role="status">
          Added {create.data.email}. Hand them the first password; they change it on their account page.
        </p>
      ) : null}
    </form>
  );
}
