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
    password: z.string().min(12, 'must be at least 12 characters').max(1024),
  })
  .openapi('NewUser');
