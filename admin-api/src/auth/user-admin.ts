// Operators manage other accounts: change a role, disable or enable, list and end their sessions.
import { createRoute } from '@hono/zod-openapi';
import { adminUsers, type DbExecutor } from '@sagaport/db';
import { eq, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { recordAudit } from '../audit/record.js';
import { sessionIdOf, type Actor, type AdminDeps } from '../env.js';
import { adminRouter, IdParams, problems } from '../openapi.js';
import { routeProblem } from '@sagaport/runtime';
import { requireOperator, requireSession } from './middleware.js';
import {
  RevokedSchema,
  SessionListSchema,
  UserSchema,
  UserSessionParams,
  UserUpdateSchema,
} from './schemas.js';
import { toUserView, userColumns, type UserView } from './session.js';
import { listSessions, revokeSessions } from './sessions.js';

type UserUpdate = { role?: UserView['role']; disabled?: boolean };

function userNotFound(c: Context): never {
  return routeProblem(c, {
    title: 'Not found',
    status: 404,
    detail: 'No user has this id; reload the list.',
  });
}

/**
 * Applies `update` to user `id` in one transaction: the role, the disabled mark (disabling ends
 * every session of the user at once), one `user.updated` audit row when anything changed.
 */
async function updateUser(
  tx: DbExecutor,
  actor: Actor,
  id: string,
  update: UserUpdate,
): Promise<UserView | undefined> {
  const [before] = await tx.select(userColumns).from(adminUsers).where(eq(adminUsers.id, id)).for('update');
  if (!before) return undefined;
  const roleChanged = update.role !== undefined && update.role !== before.role;
  const disabledChanged = update.disabled !== undefined && update.disabled !== (before.disabledAt !== null);
  if (!roleChanged && !disabledChanged) return toUserView(before);
  const [after] = await tx
    .update(adminUsers)
    .set({
      ...(roleChanged ? { role: update.role } : {}),
      ...(disabledChanged ? { disabledAt: update.disabled ? sql`now()` : null } : {}),
    })
    .where(eq(adminUsers.id, id))
    .returning(userColumns);
  const sessionsEnded =
    update.disabled && disabledChanged ? await revokeSessions(tx, actor, id, { all: true }) : 0;
  await recordAudit(
    tx,
    actor,
    'user.updated',
    { type: 'user', id },
    {
      email: before.email,
      ...(roleChanged ? { role: { from: before.role, to: update.role } } : {}),
      ...(disabledChanged ? { disabled: update.disabled, sessionsEnded } : {}),
    },
  );
  return toUserView(after!);
}

/** PATCH /users/{id}, GET and DELETE /users/{id}/sessions, DELETE /users/{id}/sessions/{sessionId}: operators only. */
export function userAdminRoutes(deps: AdminDeps) {
  const gate = requireSession(deps);
  const operatorOnly = requireOperator();

  const updateRoute = createRoute({
    method: 'patch',
    path: '/users/{id}',
    tags: ['users'],
    summary: "Change another user's role or disable them (operator only); disabling ends their sessions",
    middleware: [gate] as const,
    request: {
      params: IdParams,
      body: { required: true, content: { 'application/json': { schema: UserUpdateSchema } } },
    },
    responses: {
      200: {
        description: 'The user after the change',
        content: { 'application/json': { schema: UserSchema } },
      },
      ...problems(401, 403, 404, 409, 422),
    },
  });

  const listRoute = createRoute({
    method: 'get',
    path: '/users/{id}/sessions',
    tags: ['users'],
    summary: "A user's live sessions (operator only)",
    middleware: [gate, operatorOnly] as const,
    request: { params: IdParams },
    responses: {
      200: { description: 'The sessions', content: { 'application/json': { schema: SessionListSchema } } },
      ...problems(401, 403, 422),
    },
  });

  const revokeAllRoute = createRoute({
    method: 'delete',
    path: '/users/{id}/sessions',
    tags: ['users'],
    summary: 'End every session of a user (operator only); they must sign in again',
    middleware: [gate] as const,
    request: { params: IdParams },
    responses: {
      200: { description: 'How many ended', content: { 'application/json': { schema: RevokedSchema } } },
      ...problems(401, 403, 422),
    },
  });

  const revokeOneRoute = createRoute({
    method: 'delete',
    path: '/users/{id}/sessions/{sessionId}',
    tags: ['users'],
    summary: 'End one session of a user (operator only)',
    middleware: [gate] as const,
    request: { params: UserSessionParams },
    responses: { 204: { description: 'Ended' }, ...problems(401, 403, 404, 422) },
  });

  return adminRouter()
    .openapi(updateRoute, async (c) => {
      const actor = c.get('actor');
      const { id } = c.req.valid('param');
      if (id === actor.id) {
        return routeProblem(c, {
          title: 'Cannot change your own account here',
          status: 409,
          detail:
            'Ask another operator to change your role or disable you; this way an operator always remains to manage accounts.',
        });
      }
      const body = c.req.valid('json');
      const updated = await deps.database.db.transaction((tx) => updateUser(tx, actor, id, body));
      if (!updated) return userNotFound(c);
      return c.json(updated, 200);
    })
    .openapi(listRoute, async (c) => {
      const { id } = c.req.valid('param');
      const current = sessionIdOf(c.get('credential'));
      const items = await listSessions(deps.database.db, id, deps.settings.sessionIdleMinutes, current);
      return c.json({ items }, 200);
    })
    .openapi(revokeAllRoute, async (c) => {
      const { id } = c.req.valid('param');
      const revoked = await deps.database.db.transaction((tx) =>
        revokeSessions(tx, c.get('actor'), id, { all: true }),
      );
      return c.json({ revoked }, 200);
    })
    .openapi(revokeOneRoute, async (c) => {
      const { id, sessionId } = c.req.valid('param');
      const ended = await deps.database.db.transaction((tx) =>
        revokeSessions(tx, c.get('actor'), id, { only: sessionId }),
      );
      if (ended === 0) {
        return routeProblem(c, {
          title: 'Not found',
          status: 404,
          detail: 'This user has no live session with this id; reload the list.',
        });
      }
      return c.body(null, 204);
    });
}
