// Request and response schemas of the auth and user routes, as the OpenAPI document names them.
import { z } from '@hono/zod-openapi';
import { AdminRole } from '@sagaport/db';

const noNul = (value: string) => !value.includes('\u0000');

/** A console user. */
export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum([AdminRole.viewer, AdminRole.operator]),
    createdAt: z.iso.datetime(),
    lastLoginAt: z.iso.datetime().nullable(),
    /** Set while the account is disabled: it cannot sign in and has no session. */
    disabledAt: z.iso.datetime().nullable(),
  })
  .openapi('User');

/** The signed-in user and the token to send in `X-CSRF-Token` on mutations. */
export const SessionSchema = z.object({ user: UserSchema, csrfToken: z.string() }).openapi('Session');

export const UserListSchema = z.object({ items: z.array(UserSchema) }).openapi('UserList');

/** Login form; any text is accepted as email so an unknown login reads like a wrong password. */
export const LoginBodySchema = z
  .object({
    email: z.string().trim().min(1).max(320).refine(noNul, 'must not contain NUL characters'),
    password: z.string().min(1).max(1024),
  })
  .openapi('LoginRequest');

const newPassword = z.string().min(12, 'must be at least 12 characters').max(1024);

export const NewUserSchema = z
  .object({
    /** Stored lower-cased. */
    email: z.email().max(320),
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine((name) => !/\p{Cc}/u.test(name), 'must not contain control characters'),
    role: z.enum([AdminRole.viewer, AdminRole.operator]),
    password: newPassword,
  })
  .openapi('NewUser');

/** A change of one's own password: the current one proves it is the account's owner at the keyboard. */
export const PasswordChangeSchema = z
  .object({
    currentPassword: z.string().min(1).max(1024),
    newPassword,
  })
  .refine((body) => body.newPassword !== body.currentPassword, {
    path: ['newPassword'],
    message: 'must differ from the current password',
  })
  .openapi('PasswordChange');

/** What an operator may change on another account: its role, and whether it is disabled. */
export const UserUpdateSchema = z
  .object({
    role: z.enum([AdminRole.viewer, AdminRole.operator]).optional(),
    disabled: z.boolean().optional(),
  })
  .strict()
  .refine((body) => body.role !== undefined || body.disabled !== undefined, {
    path: ['role'],
    message: 'send role, disabled or both',
  })
  .openapi('UserUpdate');

/** A signed-in browser, as its owner and operators see it (never its token). */
export const SessionInfoSchema = z
  .object({
    id: z.uuid(),
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    /** When it ends unless used before: the earlier of the idle limit and the absolute one. */
    expiresAt: z.iso.datetime(),
    userAgent: z.string().nullable(),
    address: z.string().nullable(),
    /** True for the session making this request. */
    current: z.boolean(),
  })
  .openapi('SessionInfo');

export const SessionListSchema = z.object({ items: z.array(SessionInfoSchema) }).openapi('SessionList');

/** `{id}` of a user and `{sessionId}` of one of its sessions. */
export const UserSessionParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  sessionId: z.uuid().openapi({ param: { name: 'sessionId', in: 'path' } }),
});

/** `{sessionId}` of one of the caller's own sessions. */
export const OwnSessionParams = z.object({
  sessionId: z.uuid().openapi({ param: { name: 'sessionId', in: 'path' } }),
});

/** How many sessions a revocation ended. */
export const RevokedSchema = z.object({ revoked: z.number().int() }).openapi('Revoked');
