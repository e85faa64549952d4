// The caller's own account: change the password, list and revoke the sessions. Any role may use it.
import { createRoute } from '@hono/zod-openapi';
import { adminUsers } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { sessionIdOf, type AdminDeps } from '../env.js';
import { adminRouter, problems } from '../openapi.js';
import { routeProblem } from '@sagaport/runtime';
import { tooManyAttempts, type LoginDefences } from './login.js';
import { requireSession } from './middleware.js';
import { hashPassword, verifyPassword } from './password.js';
import { OwnSessionParams, PasswordChangeSchema, SessionListSchema } from './schemas.js';
import { clearSessionCookie } from './session.js';
import { listSessions, revokeSessions } from './sessions.js';

/** POST /account/password, GET /account/sessions, DELETE /account/sessions/{sessionId}. */
export function accountRoutes(deps: AdminDeps, defences: () => LoginDefences) {
  // Viewers manage their own account too: mutations here need the CSRF token, not the operator role.
  const gate = requireSession(deps, { mutationsBy: 'anyone' });

  const changePasswordRoute = createRoute({
    method: 'post',
    path: '/account/password',
    tags: ['account'],
    summary: 'Change your own password; ends your other sessions (needs X-CSRF-Token)',
    middleware: [gate] as const,
    request: { body: { required: true, content: { 'application/json': { schema: PasswordChangeSchema } } } },
    responses: { 204: { description: 'Changed' }, ...problems(401, 403, 422, 429) },
  });

  const listRoute = createRoute({
    method: 'get',
    path: '/account/sessions',
    tags: ['account'],
    summary: 'Your live sessions, most recently used first',
    middleware: [gate] as const,
    responses: {
      200: { description: 'The sessions', content: { 'application/json': { schema: SessionListSchema } } },
      ...problems(401),
    },
  });

  const revokeRoute = createRoute({
    method: 'delete',
    path: '/account/sessions/{sessionId}',
    tags: ['account'],
    summary: 'End one of your sessions; ending the current one signs you out (needs X-CSRF-Token)',
    middleware: [gate] as const,
    request: { params: OwnSessionParams },
    responses: { 204: { description: 'Ended' }, ...problems(401, 403, 404, 422) },
  });

  return adminRouter()
    .openapi(changePasswordRoute, async (c) => {
      const { db } = deps.database;
      const actor = c.get('actor');
      const credential = c.get('credential');
      const body = c.req.valid('json');
      const decision = await defences().throttle.attemptForAccount(actor.email);
      if (!decision.allowed) return tooManyAttempts(c, decision);
      const [user] = await db
        .select({ passwordHash: adminUsers.passwordHash })
        .from(adminUsers)
        .where(eq(adminUsers.id, actor.id));
      if (!user || !(await verifyPassword(body.currentPassword, user.passwordHash))) {
        return routeProblem(c, {
          title: 'Current password is wrong',
          status: 422,
          detail: 'Type the password you signed in with, then the new one.',
          errors: [{ field: 'currentPassword', message: 'is not your current password' }],
        });
      }
      const passwordHash = await hashPassword(body.newPassword);
      await db.transaction(async (tx) => {
        await tx.update(adminUsers).set({ passwordHash }).where(eq(adminUsers.id, actor.id));
        // Whoever else holds a session of this account (a lost laptop, a shared screen) is signed out.
        const current = sessionIdOf(credential);
        const ended = await revokeSessions(
          tx,
          actor,
          actor.id,
          current === undefined ? { all: true } : { allBut: current },
        );
        await recordAudit(
          tx,
          actor,
          'user.password-changed',
          { type: 'user', id: actor.id },
          { sessionsEnded: ended },
        );
      });
      return c.body(null, 204);
    })
    .openapi(listRoute, async (c) => {
      const actor = c.get('actor');
      const current = sessionIdOf(c.get('credential'));
      const items = await listSessions(deps.database.db, actor.id, deps.settings.sessionIdleMinutes, current);
      return c.json({ items }, 200);
    })
    .openapi(revokeRoute, async (c) => {
      const actor = c.get('actor');
      const { sessionId } = c.req.valid('param');
      const ended = await deps.database.db.transaction((tx) =>
        revokeSessions(tx, actor, actor.id, { only: sessionId }),
      );
      if (ended === 0) {
        return routeProblem(c, {
          title: 'Not found',
          status: 404,
          detail: 'You have no live session with this id; reload the list.',
        });
      }
      if (sessionId === sessionIdOf(c.get('credential'))) clearSessionCookie(c);
      return c.body(null, 204);
    });
}
