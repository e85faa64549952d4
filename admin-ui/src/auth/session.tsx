// The signed-in user for the whole console; viewers get no mutation controls.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import { fetchSession, logout } from '../api/auth.js';
import type { Session, User } from '../api/types.js';

export const sessionKey = ['session'] as const;

/** The session, or null when nobody is signed in (401). */
async function loadSession(): Promise<Session | null> {
  try {
    return await fetchSession();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

interface AuthValue {
  readonly user: User;
  /** Operators may replay, discard, retry and compensate; viewers only read. */
  readonly canMutate: boolean;
  readonly signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

/** Loads the session once; `children(session)` decides what a signed-out visitor sees. */
export function SessionGate({
  children,
}: {
  children: (state: {
    status: 'loading' | 'error' | 'signed-out' | 'signed-in';
    error?: unknown;
  }) => ReactNode;
}) {
  const session = useQuery({ queryKey: sessionKey, queryFn: loadSession, staleTime: 60_000, retry: 1 });
  const client = useQueryClient();
  const value = useMemo<AuthValue | null>(() => {
    if (!session.data) return null;
    return {
      user: session.data.user,
      canMutate: session.data.user.role === 'operator',
      async signOut() {
        try {
          await logout();
        } finally {
          client.setQueryData(sessionKey, null);
          client.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionKey[0] });
        }
      },
    };
  }, [session.data, client]);
  const status = session.data
    ? 'signed-in'
    : session.data === null
      ? 'signed-out'
      : session.error
        ? 'error'
        : 'loading';
  return (
    <AuthContext.Provider value={value}>{children({ status, error: session.error })}</AuthContext.Provider>
  );
}

/** The signed-in user; only inside the signed-in part of the console. */
export function useAuth(): AuthValue {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside a signed-in console');
  return auth;
}

/** Renders its children for operators only: a viewer sees no mutation controls at all. */
export function OperatorOnly({ children }: { children: ReactNode }) {
  return useAuth().canMutate ? <>{children}</> : null;
}

/** A provider for tests and previews: a fixed user without a server. */
export function StaticAuth({ user, children }: { user: User; children: ReactNode }) {
  const value = useMemo<AuthValue>(
    () => ({ user, canMutate: user.role === 'operator', signOut: async () => undefined }),
    [user],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
