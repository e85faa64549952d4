// Loading, empty and error states every page shares, and a wrapper that picks one for a query.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty" role="status">
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

/** What went wrong, in words an operator can act on. */
export function describeError(error: unknown): { title: string; detail?: string } {
  if (error instanceof ApiError) {
    const detail =
      error.detail ?? (error.status >= 500 ? 'The server failed; check the orchestrator log.' : undefined);
    return detail
      ? { title: `${error.title} (${error.status})`, detail }
      : { title: `${error.title} (${error.status})` };
  }
  if (error instanceof TypeError) return { title: 'The server cannot be reached', detail: error.message };
  return { title: 'Something went wrong', detail: error instanceof Error ? error.message : String(error) };
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { title, detail } = describeError(error);
  return (
    <div className="state state--error" role="alert">
      <strong>{title}</strong>
      {detail ? <p>{detail}</p> : null}
      {onRetry ? (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

interface QueryLike<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly isPending: boolean;
  refetch(): unknown;
}

/** Renders the loading or error state of `query`, or `children(data)` once it has data. */
export function QueryView<T>({
  query,
  children,
  loadingLabel,
}: {
  query: QueryLike<T>;
  children: (data: T) => ReactNode;
  loadingLabel?: string;
}) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading {...(loadingLabel ? { label: loadingLabel } : {})} />;
}
