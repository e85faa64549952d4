// The sign-in page: email and password; on success the console opens where the visitor wanted to go.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { login } from '../api/auth.js';
import { ApiError } from '../api/client.js';
import { useNavigate, useSearchParams } from '../router/router.js';
import { describeError } from '../ui/states.js';
import { safeNext } from './next.js';
import { sessionKey } from './session.js';

function loginError(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'Wrong email or password.';
  if (error instanceof ApiError && error.status === 429) {
    const wait = error.retryAfterSeconds
      ? ` Try again in ${error.retryAfterSeconds} seconds.`
      : ' Try again later.';
    return `Too many attempts.${wait}`;
  }
  const { title, detail } = describeError(error);
  return detail ? `${title}: ${detail}` : title;
}

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const signIn = useMutation({
    mutationFn: () => login(email.trim(), password),
    onSuccess: (session) => {
      client.setQueryData(sessionKey, session);
      navigate(safeNext(params.get('next')), { replace: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  return (
    <main className="login" id="main">
      <form className="login__card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand--large" aria-hidden="true">
          <span className="brand__mark">S</span> Sagaport
        </div>
        <h1 id="login-title">Sign in to the console</h1>
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {signIn.isError ? (
          <p className="form-error" role="alert">
            {loginError(signIn.error)}
          </p>
        ) : null}
        <button type="submit" className="btn btn--primary btn--block" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
