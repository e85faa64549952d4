// First start: create an operator when the console has no user at all, so someone can sign in.
import { randomBytes } from 'node:crypto';
import { adminUsers } from '@sagaport/db';
import { sql } from 'drizzle-orm';
import type { AdminDeps } from '../env.js';
import { hashPassword } from './password.js';

/** Key of the transaction-scoped advisory lock that serialises bootstraps of several orchestrators. */
const BOOTSTRAP_LOCK_KEY = 'sagaport.admin.bootstrap';

/** What {@link ensureBootstrapOperator} did. */
export type BootstrapOutcome =
  | { readonly created: false }
  | { readonly created: true; readonly email: string; readonly generatedPassword: boolean };

/**
 * When admin.users is empty, creates the operator `settings.bootstrapEmail` with
 * `settings.bootstrapPassword`, or with a generated password that is logged once. Safe when
 * several orchestrators start at once: the check and the insert run under one advisory lock,
 * and only the process whose insert took effect logs.
 */
export async function ensureBootstrapOperator(
  deps: Pick<AdminDeps, 'database' | 'settings' | 'logger'>,
): Promise<BootstrapOutcome> {
  const { db } = deps.database;
  const { bootstrapEmail, bootstrapPassword } = deps.settings;
  const [existing] = await db.select({ id: adminUsers.id }).from(adminUsers).limit(1);
  if (existing) return { created: false };

  const email = bootstrapEmail.toLowerCase();
  const password = bootstrapPassword ?? randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  const inserted = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${BOOTSTRAP_LOCK_KEY}))`);
    const [anyUser] = await tx.select({ id: adminUsers.id }).from(adminUsers).limit(1);
    if (anyUser) return false;
    const rows = await tx
      .insert(adminUsers)
      .values({ email, name: 'Operator', role: 'operator', passwordHash })
      .onConflictDoNothing({ target: adminUsers.email })
      .returning({ id: adminUsers.id });
    return rows.length === 1;
  });
  if (!inserted) return { created: false };

  if (bootstrapPassword) {
    deps.logger.info({ email }, 'first operator created with ADMIN_PASSWORD');
  } else {
    deps.logger.warn(
      { email },
      `first operator created: ${email} / ${password} — change it on the console's account page (/account) after signing in, or set ADMIN_PASSWORD before the first start`,
    );
  }
  return { created: true, email, generatedPassword: !bootstrapPassword };
}
