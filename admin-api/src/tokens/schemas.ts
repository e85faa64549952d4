// Request and response schemas of the API token routes, as the OpenAPI document names them.
import { z } from '@hono/zod-openapi';
import { AdminRole } from '@sagaport/db';

/** What a token may do at most: read (`viewer`) or also change things (`operator`). */
export const TokenScopeSchema = z.enum([AdminRole.viewer, AdminRole.operator]).openapi('TokenScope');

/** Whether a token can still be used. */
export const TokenStatus = { active: 'active', expired: 'expired', revoked: 'revoked' } as const;
export type TokenStatus = (typeof TokenStatus)[keyof typeof TokenStatus];

/** A token as listed: never its secret. */
export const ApiTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scope: TokenScopeSchema,
    status: z.enum([TokenStatus.active, TokenStatus.expired, TokenStatus.revoked]),
    /** The token's first characters (`sgp_` and six more), to tell tokens apart. */
    hint: z.string(),
    owner: z.object({ id: z.uuid(), email: z.string() }),
    createdByTokenId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().openapi({ description: 'Precise to about a minute' }),
    revokedAt: z.iso.datetime().nullable(),
    revokedBy: z.string().nullable(),
  })
  .openapi('ApiToken');
export type ApiTokenView = z.infer<typeof ApiTokenSchema>;

export const ApiTokenPageSchema = z
  .object({ items: z.array(ApiTokenSchema), nextCursor: z.string().nullable() })
  .openapi('ApiTokenPage');

export const NewApiTokenSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine((name) => !/\p{Cc}/u.test(name), 'must not contain control characters')
      .openapi({ description: 'What the token is for, e.g. "nightly replay job"' }),
    scope: TokenScopeSchema,
    expiresInDays: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'Lifetime in days; the server has a default and a maximum' }),
  })
  .strict()
  .openapi('NewApiToken');

/** The created token and, this once, its secret. */
export const CreatedApiTokenSchema = z
  .object({
    token: ApiTokenSchema,
    secret: z.string().openapi({
      description:
        'Send as `Authorization: Bearer <secret>`. Shown only in this answer; only its hash is kept.',
    }),
  })
  .openapi('CreatedApiToken');

export const TokenListQuerySchema = z.object({
  status: z
    .enum([TokenStatus.active, 'all'])
    .default(TokenStatus.active)
    .openapi({ description: '`active` (default) or `all`, which includes expired and revoked tokens' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});
