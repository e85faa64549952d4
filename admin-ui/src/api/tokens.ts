// API tokens: list, create (the secret comes back once), revoke.
import { api, unwrap } from './client.js';
import type { ApiToken, CreatedApiToken, NewApiToken, Page } from './types.js';

export function listTokens(includeInactive: boolean): Promise<Page<ApiToken>> {
  return unwrap(
    api.GET('/api/admin/tokens', {
      params: { query: { status: includeInactive ? 'all' : 'active', limit: 500 } },
    }),
  );
}

export function createToken(token: NewApiToken): Promise<CreatedApiToken> {
  return unwrap(api.POST('/api/admin/tokens', { body: token }));
}

export function revokeToken(id: string): Promise<ApiToken> {
  return unwrap(api.POST('/api/admin/tokens/{id}/revoke', { params: { path: { id } } }));
}
