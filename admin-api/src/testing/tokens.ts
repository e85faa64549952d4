// API tokens for tests, made straight in the database (the token routes have their own tests).
import { createHash, randomBytes } from 'node:crypto';
import { apiTokens, type AdminRole, type Database } from '@sagaport/db';

/** Inserts a token of `userId` with `scope`, living `lifetimeMs` (negative: already expired); returns its secret and id. */
export async function createTestToken(
  db: Database,
  userId: string,
  scope: AdminRole,
  lifetimeMs = 3_600_000,
): Promise<{ id: string; secret: string }> {
  const secret = `sgp_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(apiTokens)
    .values({
      userId,
      name: `test ${scope} token`,
      scope,
      tokenHash: createHash('sha256').update(secret).digest('hex'),
      hint: secret.slice(0, 10),
      expiresAt: new Date(Date.now() + lifetimeMs),
    })
    .returning({ id: apiTokens.id });
  return { id: row!.id, secret };
}
