// The signed-in user's own account: who they are, their password, their sessions.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { listOwnSessions, revokeOwnSession } from '../api/auth.js';
import type { SessionInfo } from '../api/types.js';
import { PageHeader } from '../Layout.js';
import { Badge } from '../ui/badges.js';
import { formatTime } from '../ui/format.js';
import { KeyValues, Section } from '../ui/Section.js';
import { ErrorState, QueryView } from '../ui/states.js';
import { PasswordForm } from './PasswordForm.js';
import { useAuth } from './session.js';
import { SessionList } from './SessionList.js';

const sessionsKey = ['account', 'sessions'] as const;

export function AccountPage() {
  const { user, signOut } = useAuth();
  const client = useQueryClient();
  const sessions = useQuery({ queryKey: sessionsKey, queryFn: listOwnSessions });
  const end = useMutation({
    mutationFn: async (session: SessionInfo) => {
      // Ending this browser's own session is signing out.
      if (session.current) await signOut();
      else await revokeOwnSession(session.id);
    },
    onSettled: () => client.invalidateQueries({ queryKey: sessionsKey }),
  });
  return (
    <>
      <PageHeader title="Your account" subtitle="Your password and the browsers signed in as you." />
      <div className="detail-grid">
        <Section title="Profile">
          <KeyValues
            rows={[
              ['Name', user.name],
              ['Email', user.email],
              ['Role', <Badge tone={user.role === 'operator' ? 'info' : 'neutral'}>{user.role}</Badge>],
              ['Member since', formatTime(user.createdAt)],
              ['Last sign-in', formatTime(user.lastLoginAt)],
            ]}
          />
        </Section>
        <Section title="Password">
          <PasswordForm />
        </Section>
      </div>
      <Section title="Sessions">
        <p className="muted small">
          A session ends when it has not been used for a while, and at the latest at the time shown. End any
          you do not recognise, then change your password.
        </p>
        {end.isError ? <ErrorState error={end.error} /> : null}
        <QueryView query={sessions} loadingLabel="Loading your sessions…">
          {(items) => (
            <SessionList
              sessions={items}
              caption="Your sessions, most recently used first"
              onEnd={(session) => end.mutate(session)}
              ending={end.isPending ? (end.variables?.id ?? null) : null}
            />
          )}
        </QueryView>
      </Section>
    </>
  );
}
