// An operator's actions on another account: change the role, disable or enable, see and end sessions.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { listUserSessions, revokeUserSession, updateUser } from '../api/auth.js';
import type { User, UserUpdate } from '../api/types.js';
import { SessionList } from '../auth/SessionList.js';
import { ConfirmDialog } from '../ui/ConfirmDialog.js';
import { Dialog } from '../ui/Dialog.js';
import { ErrorState, QueryView } from '../ui/states.js';

export const usersKey = ['users'] as const;

type Pending = { kind: 'role' } | { kind: 'disable' } | { kind: 'sessions' } | null;

export function UserActions({ user }: { user: User }) {
  const [open, setOpen] = useState<Pending>(null);
  const client = useQueryClient();
  const update = useMutation({
    mutationFn: (change: UserUpdate) => updateUser(user.id, change),
    onSuccess: async () => {
      setOpen(null);
      await client.invalidateQueries({ queryKey: usersKey });
    },
  });
  const close = () => {
    update.reset();
    setOpen(null);
  };
  const otherRole = user.role === 'operator' ? 'viewer' : 'operator';
  const disabled = user.disabledAt !== null;
  const who = user.name || user.email;
  return (
    <div className="button-row">
      <button type="button" className="btn btn--small" onClick={() => setOpen({ kind: 'role' })}>
        Make {otherRole}
        <span className="sr-only"> ({user.email})</span>
      </button>
      <button
        type="button"
        className={`btn btn--small ${disabled ? '' : 'btn--danger'}`}
        onClick={() => (disabled ? update.mutate({ disabled: false }) : setOpen({ kind: 'disable' }))}
      >
        {disabled ? 'Enable' : 'Disable'}
        <span className="sr-only"> {user.email}</span>
      </button>
      <button type="button" className="btn btn--small" onClick={() => setOpen({ kind: 'sessions' })}>
        Sessions
        <span className="sr-only"> of {user.email}</span>
      </button>
      {open === null && update.isError ? <ErrorState error={update.error} /> : null}
      {open?.kind === 'role' ? (
        <ConfirmDialog
          title={`Make ${who} ${otherRole === 'operator' ? 'an operator' : 'a viewer'}?`}
          confirmLabel={`Make ${otherRole}`}
          busy={update.isPending}
          error={update.error}
          onConfirm={() => update.mutate({ role: otherRole })}
          onCancel={close}
        >
          {otherRole === 'operator'
            ? `${user.email} will be able to replay and discard dead letters, run saga actions and manage accounts.`
            : `${user.email} will only be able to read; it applies to their next request.`}
        </ConfirmDialog>
      ) : null}
      {open?.kind === 'disable' ? (
        <ConfirmDialog
          title={`Disable ${who}?`}
          confirmLabel="Disable"
          danger
          busy={update.isPending}
          error={update.error}
          onConfirm={() => update.mutate({ disabled: true })}
          onCancel={close}
        >
          {user.email} is signed out everywhere now and cannot sign in until an operator enables the account.
        </ConfirmDialog>
      ) : null}
      {open?.kind === 'sessions' ? <UserSessionsDialog user={user} onClose={close} /> : null}
    </div>
  );
}

function UserSessionsDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const key = ['users', user.id, 'sessions'];
  const client = useQueryClient();
  const sessions = useQuery({ queryKey: key, queryFn: () => listUserSessions(user.id) });
  const end = useMutation({
    mutationFn: (sessionId: string) => revokeUserSession(user.id, sessionId),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  return (
    <Dialog title={`Sessions of ${user.name || user.email}`} onClose={onClose}>
      {end.isError ? <ErrorState error={end.error} /> : null}
      <QueryView query={sessions} loadingLabel="Loading sessions…">
        {(items) => (
          <SessionList
            sessions={items}
            caption={`Sessions of ${user.email}`}
            onEnd={(session) => end.mutate(session.id)}
            ending={end.isPending ? (end.variables ?? null) : null}
          />
        )}
      </QueryView>
      <div className="dialog__actions">
        <button type="button" className="btn" onClick={onClose} data-autofocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
