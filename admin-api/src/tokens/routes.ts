// GET /tokens, POST /tokens, POST /tokens/{id}/revoke: API tokens for automation (the CLI, scripts).
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { recordAudit } from '../audit/record.js';
import { routeProblem } from '@sagaport/runtime';
import { requireSession } from '../auth/middleware.js';
import type { AdminDeps } from '../env.js';
import { adminRouter, cursor, IdParams, jsonBody, jsonResponse, problems } from '../openapi.js';
import { roleWithin } from './authenticate.js';
import {
  ApiTokenPageSchema,
  ApiTokenSchema,
  CreatedApiTokenSchema,
  NewApiTokenSchema,
  TokenListQuerySchema,
  TokenStatus,
} from './schemas.js';
import { newTokenSecret } from './secret.js';
import { findToken, insertToken, listTokens, revokeTokenTree } from './store.js';

/** Either credential works on these routes; the OpenAPI document names them. */
const security: Record<string, string[]>[] = [{ sessionCookie: [] }, { bearerAuth: [] }];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const listRoute = createRoute({
  method: 'get',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'API tokens, newest first, without their secrets (a viewer sees only their own)',
  security,
  request: { query: TokenListQuerySchema },
  responses: { 200: jsonResponse(ApiTokenPageSchema, 'A page of tokens'), ...problems(401, 422) },
});

const createTokenRoute = createRoute({
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'Create an API token for yourself, at most your own role; its secret is shown only here',
  security,
  request: { body: jsonBody(NewApiTokenSchema) },
  responses: {
    201: jsonResponse(CreatedApiTokenSchema, 'Created; store the secret now, it cannot be shown again'),
    ...problems(401, 403, 422),
  },
});

const revokeRoute = createRoute({
  method: 'post',
  path: '/tokens/{id}/revoke',
  tags: ['tokens'],
  summary: 'Revoke a token and every token made with it (your own; an operator may revoke any)',
  security,
  request: { params: IdParams },
  responses: { 200: jsonResponse(ApiTokenSchema, 'The token, revoked'), ...problems(401, 403, 404, 422) },
});

function unreadableCursor(c: Context): never {
  return routeProblem(c, {
    title: 'Invalid cursor',
    status: 422,
    detail: 'The cursor is not one this API issued; start again without it.',
    errors: [{ field: 'cursor', message: 'unreadable cursor' }],
  });
}

/** The token routes; mounted before the global gate, each with its own that lets viewers manage their tokens. */
export function tokenRoutes(deps: AdminDeps) {
  const gate = requireSession(deps, { mutationsBy: 'anyone' });
  const router = adminRouter();
  router.use('/tokens', gate);
  router.use('/tokens/*', gate);
  return router
    .openapi(listRoute, async (c) => {
      const { status, limit, cursor: after } = c.req.valid('query');
      const key = cursor.decode(after);
      const [createdAt, id] = key ?? [];
      // Only a time this API wrote survives the round trip (no 31 February, no month 13).
      const keyValid =
        typeof createdAt === 'string' &&
        !Number.isNaN(Date.parse(createdAt)) &&
        new Date(createdAt).toISOString() === createdAt &&
        typeof id === 'string' &&
        UUID.test(id);
      if (after !== undefined && (key?.length !== 2 || !keyValid)) return unreadableCursor(c);
      const actor = c.get('actor');
      const page = await listTokens(deps.database.db, {
        ...(actor.role === 'operator' ? {} : { ownerId: actor.id }),
        activeOnly: status === TokenStatus.active,
        limit,
        ...(keyValid ? { after: [createdAt, id] as const } : {}),
      });
      return c.json({ items: page.items, nextCursor: page.next ? cursor.encode(page.next) : null }, 200);
    })
    .openapi(createTokenRoute, async (c) => {
      const actor = c.get('actor');
      const body = c.req.valid('json');
      if (!roleWithin(body.scope, actor.role)) {
        return routeProblem(c, {
          title: 'Scope above your role',
          status: 403,
          detail: `You act as ${actor.role} and can only create tokens up to that scope. Choose scope ${actor.role}.`,
          errors: [{ field: 'scope', message: `must be at most ${actor.role}` }],
        });
      }
      const { apiTokenDefaultDays, apiTokenMaxDays } = deps.settings;
      const lifetimeDays = body.expiresInDays ?? apiTokenDefaultDays;
      if (lifetimeDays > apiTokenMaxDays) {
        return routeProblem(c, {
          title: 'Lifetime too long',
          status: 422,
          detail: `Tokens live at most ${apiTokenMaxDays} days; choose a shorter lifetime and create a new token when it ends.`,
          errors: [{ field: 'expiresInDays', message: `must be at most ${apiTokenMaxDays}` }],
        });
      }
      const { secret, hash, hint } = newTokenSecret();
      const token = await deps.database.db.transaction(async (tx) => {
        const created = await insertToken(tx, {
          userId: actor.id,
          name: body.name,
          scope: body.scope,
          hash,
          hint,
          lifetimeDays,
          parentTokenId: actor.token?.id ?? null,
        });
        await recordAudit(
          tx,
          actor,
          'token.created',
          { type: 'api-token', id: created.id },
          { name: created.name, scope: created.scope, expiresAt: created.expiresAt },
        );
        return created;
      });
      // The only answer holding the secret: no cache may keep it.
      c.header('Cache-Control', 'no-store');
      return c.json({ token, secret }, 201);
    })
    .openapi(revokeRoute, async (c) => {
      const actor = c.get('actor');
      const { id } = c.req.valid('param');
      const { db } = deps.database;
      const token = await findToken(db, id);
      // Another user's token is none of a viewer's business: it does not exist for them.
      if (!token || (actor.role !== 'operator' && token.owner.id !== actor.id)) {
        return routeProblem(c, {
          title: 'Token not found',
          status: 404,
          detail: `No token ${id} that you may revoke; list them with GET /api/admin/tokens.`,
        });
      }
      await db.transaction(async (tx) => {
        const revoked = await revokeTokenTree(tx, id, actor.email);
        // Revoking twice changes nothing and records nothing.
        if (revoked.length === 0) return;
        await recordAudit(
          tx,
          actor,
          'token.revoked',
          { type: 'api-token', id },
          {
            name: token.name,
            owner: token.owner.email,
            alsoRevoked: revoked.filter((revokedId) => revokedId !== id),
          },
        );
      });
      return c.json((await findToken(db, id))!, 200);
    });
}
