// API tokens for the CLI and scripts: create one (its secret shown once), see which exist, revoke them.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { listTokens, revokeToken } from '../api/tokens.js';
import type { ApiToken } from '../api/types.js';
import { useAuth } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { ConfirmDialog } from '../ui/ConfirmDialog.js';
import { StatusBadge } from '../ui/badges.js';
import { formatAgo, formatTime } from '../ui/format.js';
import { Section } from '../ui/Section.js';
import { Empty, QueryView } from '../ui/states.js';
import { NewTokenForm } from './NewTokenForm.js';

export function TokensPage() {
  const { user } = useAuth();
  const [includeInactive, setIncludeInactive] = useState(false);
  const tokens = useQuery({
    queryKey: ['tokens', includeInactive],
    queryFn: () => listTokens(includeInactive),
    select: (page) => page.items,
  });
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="For the CLI and scripts. A token acts as its owner with at most its scope, until it expires or is revoked."
      />
      <Section title="Create a token">
        <NewTokenForm role={user.role} />
      </Section>
      <label className="inline-check">
        <input
          type="checkbox"
          checked={includeInactive}
          onChange={(e) => setIncludeInactive(e.target.checked)}
        />
        Show expired and revoked tokens
      </label>
      <QueryView query={tokens} loadingLabel="Loading tokens…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No tokens">Create one above to use the CLI or the API from a script.</Empty>
          ) : (
            <TokenTable items={items} showOwner={user.role === 'operator'} onRevoke={setRevoking} />
          )
        }
      </QueryView>
      {revoking ? <RevokeDialog token={revoking} onClose={() => setRevoking(null)} /> : null}
    </>
  );
}

function TokenTable({
  items,
  showOwner,
  onRevoke,
}: {
  items: readonly ApiToken[];
  showOwner: boolean;
  onRevoke: (token: ApiToken) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">API tokens, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scope</th>
            <th scope="col">Status</th>
            <th scope="col">Token</th>
            {showOwner ? <th scope="col">Owner</th> : null}
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((token) => (
            <tr key={token.id} data-token-id={token.id}>
              <td className="cell-title">{token.name}</td>
              <td>
                <StatusBadge status={token.scope} />
              </td>
              <td>
                <StatusBadge status={token.status} />
              </td>
              <td className="mono">{token.hint}…</td>
              {showOwner ? <td>{token.owner.email}</td> : null}
              <td title={formatTime(token.expiresAt)}>{formatTime(token.expiresAt)}</td>
              <td title={formatTime(token.lastUsedAt)}>
                {token.lastUsedAt ? formatAgo(token.lastUsedAt) : 'never'}
              </td>
              <td className="actions">
                {token.status === 'active' ? (
                  <button
                    type="button"
                    className="btn btn--danger btn--small"
                    onClick={() => onRevoke(token)}
                    aria-label={`Revoke ${token.name}`}
                  >
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RevokeDialog({ token, onClose }: { token: ApiToken; onClose: () => void }) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeToken(token.id),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['tokens'] });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Revoke “${token.name}”?`}
      confirmLabel="Revoke token"
      danger
      busy={revoke.isPending}
      error={revoke.error}
      onConfirm={() => revoke.mutate()}
      onCancel={onClose}
    >
      <p>
        Anything using this token is refused from now on, and so is every token that was created with it. This
        cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
