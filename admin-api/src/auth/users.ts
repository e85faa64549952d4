// GET /users and POST /users: the console's accounts (creating one needs the operator role).
import { createRoute } from '@hono/zod-openapi';
import { adminUsers } from '@sagaport/db';
import { sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { AdminDeps } from '../env.js';
import { adminRouter, problems } from '../openapi.js';
import { routeProblem } from '@sagaport/runtime';
import { requireSession } from './middleware.js';
import { hashPassword } from './password.js';
import { NewUserSchema, UserListSchema, UserSchema } from './schemas.js';
import { toUserView, userColumns } from './session.js';

/** Users listed per request; a console has a handful, this only bounds a runaway table. */
const MAX_USERS = 1_000;

/** GET /users and POST /users; each route carries the session gate (this router is mounted before it). */
export function userRoutes(deps: AdminDeps) {
  const gate = requireSession(deps);

  const listRoute = createRoute({
    method: 'get',
    path: '/users',
    tags: ['users'],
    summary: 'Every console user',
    middleware: [gate] as const,
    responses: {
      200: {
        description: 'The users, by email (code-point order)',
        content: { 'application/json': { schema: UserListSchema } },
      },
      ...problems(401),
    },
  });

  const createUserRoute = createRoute({
    method: 'post',
    path: '/users',
    tags: ['users'],
    summary: 'Create a console user (operator only)',
    middleware: [gate] as const,
    request: { body: { required: true, content: { 'application/json': { schema: NewUserSchema } } } },
    responses: {
      201: { description: 'Created', content: { 'application/json': { schema: UserSchema } } },
      ...problems(401, 403, 409, 422),
    },
  });

  return adminRouter()
    .openapi(listRoute, async (c) => {
      const rows = await deps.database.db
        .select(userColumns)
        .from(adminUsers)
        .orderBy(sql`${adminUsers.email} collate "C"`)
        .limit(MAX_USERS);
      return c.json({ items: rows.map(toUserView) }, 200);
    })
    .openapi(createUserRoute, async (c) => {
      const body = c.req.valid('json');
      const email = body.email.toLowerCase();
      const passwordHash = await hashPassword(body.password);
      const created = await deps.database.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(adminUsers)
          .values({ email, name: body.name, role: body.role, passwordHash })
          .onConflictDoNothing({ target: adminUsers.email })
          .returning(userColumns);
        if (!row) return undefined;
        await recordAudit(
          tx,
          c.get('actor'),
          'user.created',
          { type: 'user', id: row.id },
          { email, role: body.role },
        );
        return toUserView(row);
      });
      if (!created) {
        return routeProblem(c, {
          title: 'Email already in use',
          status: 409,
          detail: `A user with the email ${email} exists already.`,
          errors: [{ field: 'email', message: 'already in use' }],
        });
      }
      return c.json(created, 201);
    });
}
