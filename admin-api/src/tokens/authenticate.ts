// Bearer-token sign-in for the admin API: who a token acts as, or a 401 that says why it cannot.
import { AdminRole } from '@sagaport/db';
import type { Context } from 'hono';
import { recordAudit } from '../audit/record.js';
import { problem } from '@sagaport/runtime';
import type { Actor, AdminDeps } from '../env.js';
import { findTokenByHash, recordTokenUse } from './store.js';
import { hashTokenSecret, looksLikeToken } from './secret.js';

/** Why a presented token was refused. */
export const TokenRejection = {
  malformed: 'malformed',
  unknown: 'unknown',
  expired: 'expired',
  revoked: 'revoked',
  accountDisabled: 'account-disabled',
} as const;
export type TokenRejection = (typeof TokenRejection)[keyof typeof TokenRejection];

const REJECTIONS: Record<TokenRejection, { title: string; detail: string }> = {
  malformed: {
    title: 'Malformed API token',
    detail: 'Send `Authorization: Bearer sgp_…` with the whole token as it was shown when it was created.',
  },
  unknown: {
    title: 'Unknown API token',
    detail: 'No such token exists. Check that it was copied whole, or create a new one in the console.',
  },
  expired: {
    title: 'API token expired',
    detail:
      'This token has expired. Create a new one in the console (Tokens) or with `sagaport tokens create`.',
  },
  revoked: {
    title: 'API token revoked',
    detail: 'This token was revoked. Ask whoever revoked it why, and create a new one if it is still needed.',
  },
  'account-disabled': {
    title: 'Account disabled',
    detail: "The token's account is disabled, so its tokens cannot be used. Ask an operator to enable it.",
  },
};

/**
 * The secret of an `Authorization: Bearer …` header (possibly empty), or undefined when the
 * request carries no bearer credentials and so is authenticated by its session cookie.
 */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer(?:\s+(.*))?$/i.exec(header.trim());
  return match ? (match[1] ?? '').trim() : undefined;
}

const ROLE_RANK: Record<AdminRole, number> = { viewer: 0, operator: 1 };

/** True when `role` grants no more than `limit`. */
export function roleWithin(role: AdminRole, limit: AdminRole): boolean {
  return ROLE_RANK[role] <= ROLE_RANK[limit];
}

/** Answers a refused token: 401 problem and an RFC 6750 challenge, after auditing the attempt. */
async function reject(
  deps: AdminDeps,
  c: Context,
  reason: TokenRejection,
  token?: { id: string; ownerEmail: string },
): Promise<Response> {
  // Nothing the caller typed is stored: an unknown token could be a pasted password.
  await recordAudit(
    deps.database.db,
    { id: null, email: token?.ownerEmail ?? 'anonymous' },
    'token.rejected',
    { type: 'api-token', id: token?.id ?? null },
    { reason, method: c.req.method, path: c.req.path },
  );
  const { title, detail } = REJECTIONS[reason];
  c.header(
    'WWW-Authenticate',
    `Bearer realm="sagaport", error="invalid_token", error_description="${title}"`,
  );
  return problem(c, { title, status: 401, detail });
}

/**
 * The actor a bearer token acts as: its user, with the lower of the token's scope and the user's
 * current role (a demoted user's tokens are demoted with them). Otherwise a 401 problem naming
 * why (malformed, unknown, expired, revoked, account disabled), audited as `token.rejected`.
 */
export async function authenticateToken(
  deps: AdminDeps,
  c: Context,
  secret: string,
): Promise<Actor | Response> {
  if (!looksLikeToken(secret)) return reject(deps, c, TokenRejection.malformed);
  const { db } = deps.database;
  const token = await findTokenByHash(db, hashTokenSecret(secret));
  if (!token) return reject(deps, c, TokenRejection.unknown);
  const known = { id: token.id, ownerEmail: token.user.email };
  if (token.revoked) return reject(deps, c, TokenRejection.revoked, known);
  if (token.expired) return reject(deps, c, TokenRejection.expired, known);
  if (token.user.disabled) return reject(deps, c, TokenRejection.accountDisabled, known);
  // At most one write a minute per token: the last-used time is for people, not for accounting.
  if (token.lastUseStale) await recordTokenUse(db, token.id);
  const { user } = token;
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: roleWithin(token.scope, user.role) ? token.scope : user.role,
    token: { id: token.id, name: token.name },
  };
}

/** 403 problem for a mutation made with a viewer-scoped token, audited as `token.refused`. */
export async function tokenScopeRefused(deps: AdminDeps, c: Context, actor: Actor): Promise<Response> {
  await recordAudit(
    deps.database.db,
    actor,
    'token.refused',
    { type: 'api-token', id: actor.token?.id ?? null },
    { reason: 'scope', scope: actor.role, method: c.req.method, path: c.req.path },
  );
  return problem(c, {
    title: 'Token scope too narrow',
    status: 403,
    detail: `This token may only read: its scope, or its account's role, is ${AdminRole.viewer}. Use a token with the ${AdminRole.operator} scope of an operator for changes.`,
  });
}
