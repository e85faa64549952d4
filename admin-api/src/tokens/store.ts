// API tokens in admin.api_tokens: create, list, revoke (with every token made through it), and look up for sign-in.
import { adminUsers, apiTokens, type AdminRole, type Database, type DbExecutor } from '@sagaport/db';
import { and, desc, eq, gt, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { TokenStatus, type ApiTokenView } from './schemas.js';

/** The columns of a token and its owner that make an {@link ApiTokenView}. */
const viewColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  scope: apiTokens.scope,
  hint: apiTokens.hint,
  ownerId: apiTokens.userId,
  ownerEmail: adminUsers.email,
  createdByTokenId: apiTokens.createdByTokenId,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
  revokedBy: apiTokens.revokedBy,
};

interface TokenRow {
  readonly id: string;
  readonly name: string;
  readonly scope: AdminRole;
  readonly hint: string;
  readonly ownerId: string;
  readonly ownerEmail: string;
  readonly createdByTokenId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
}

const iso = (at: Date | null) => at?.toISOString() ?? null;

function statusOf(row: Pick<TokenRow, 'revokedAt' | 'expiresAt'>, now: Date): TokenStatus {
  if (row.revokedAt) return TokenStatus.revoked;
  return row.expiresAt <= now ? TokenStatus.expired : TokenStatus.active;
}

function toView(row: TokenRow, now = new Date()): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    status: statusOf(row, now),
    hint: row.hint,
    owner: { id: row.ownerId, email: row.ownerEmail },
    createdByTokenId: row.createdByTokenId,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
    revokedBy: row.revokedBy,
  };
}

/** Loads one token with its owner, or undefined. */
export async function findToken(db: DbExecutor, id: string): Promise<ApiTokenView | undefined> {
  const [row] = await db
    .select(viewColumns)
    .from(apiTokens)
    .innerJoin(adminUsers, eq(adminUsers.id, apiTokens.userId))
    .where(eq(apiTokens.id, id));
  return row ? toView(row) : undefined;
}

export interface NewToken {
  readonly userId: string;
  readonly name: string;
  readonly scope: AdminRole;
  readonly hash: string;
  readonly hint: string;
  readonly lifetimeDays: number;
  /** The token the request came with, if any: the new token expires no later than it. */
  readonly parentTokenId: string | null;
}

/** Inserts a token; with a parent token, its expiry is capped at the parent's. */
export async function insertToken(tx: DbExecutor, token: NewToken): Promise<ApiTokenView> {
  const requested = sql`now() + make_interval(days => ${token.lifetimeDays}::int)`;
  const expiresAt = token.parentTokenId
    ? sql`least(${requested}, (select t.expires_at from ${apiTokens} t where t.id = ${token.parentTokenId}))`
    : requested;
  const [inserted] = await tx
    .insert(apiTokens)
    .values({
      userId: token.userId,
      name: token.name,
      scope: token.scope,
      tokenHash: token.hash,
      hint: token.hint,
      createdByTokenId: token.parentTokenId,
      expiresAt,
    })
    .returning({ id: apiTokens.id });
  return (await findToken(tx, inserted!.id))!;
}

export interface TokenListOptions {
  /** Only this user's tokens (a viewer sees no one else's). */
  readonly ownerId?: string;
  readonly activeOnly: boolean;
  readonly limit: number;
  /** Created-at and id of the last token of the previous page. */
  readonly after?: readonly [string, string];
}

/** Tokens newest first, one page; `nextCursor` is the key of the last one when more may follow. */
export async function listTokens(
  db: Database,
  options: TokenListOptions,
): Promise<{ items: ApiTokenView[]; next?: [string, string] }> {
  const conditions: (SQL | undefined)[] = [
    options.ownerId ? eq(apiTokens.userId, options.ownerId) : undefined,
    options.activeOnly ? and(isNull(apiTokens.revokedAt), gt(apiTokens.expiresAt, sql`now()`)) : undefined,
  ];
  if (options.after) {
    const [createdAt, id] = options.after;
    const at = new Date(createdAt);
    conditions.push(or(lt(apiTokens.createdAt, at), and(eq(apiTokens.createdAt, at), lt(apiTokens.id, id))));
  }
  const rows = await db
    .select(viewColumns)
    .from(apiTokens)
    .innerJoin(adminUsers, eq(adminUsers.id, apiTokens.userId))
    .where(and(...conditions))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(options.limit + 1);
  const now = new Date();
  const items = rows.slice(0, options.limit).map((row) => toView(row, now));
  const last = items.at(-1);
  return rows.length > options.limit && last ? { items, next: [last.createdAt, last.id] } : { items };
}

/**
 * Revokes token `id` and every token made through it (and through those, and so on), so a leaked
 * token cannot outlive its revocation in tokens it minted. Returns the ids revoked now.
 */
export async function revokeTokenTree(tx: DbExecutor, id: string, revokedBy: string): Promise<string[]> {
  const rows = await tx.execute<{ id: string }>(sql`
    with recursive tree(id) as (
      select ${id}::uuid
      union
      select t.id from ${apiTokens} t join tree on t.created_by_token_id = tree.id
    )
    update ${apiTokens} set revoked_at = now(), revoked_by = ${revokedBy}
    where id in (select id from tree) and revoked_at is null
    returning id`);
  return [...rows].map((row) => row.id);
}

/** A token looked up by its hash for sign-in, with its owner and what stands in its way. */
export interface TokenCredentials {
  readonly id: string;
  readonly name: string;
  readonly scope: AdminRole;
  readonly expired: boolean;
  readonly revoked: boolean;
  /** Its last use is unrecorded or over a minute old: record this one. */
  readonly lastUseStale: boolean;
  readonly user: {
    readonly id: string;
    readonly email: string;
    readonly name: string;
    readonly role: AdminRole;
    readonly disabled: boolean;
  };
}

/** The token with hash `hash` and its owner, or undefined; one indexed lookup. */
export async function findTokenByHash(db: Database, hash: string): Promise<TokenCredentials | undefined> {
  const [row] = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      scope: apiTokens.scope,
      expired: sql<boolean>`${apiTokens.expiresAt} <= now()`,
      revoked: sql<boolean>`${apiTokens.revokedAt} is not null`,
      lastUseStale: sql<boolean>`coalesce(${apiTokens.lastUsedAt} < now() - interval '1 minute', true)`,
      user: {
        id: adminUsers.id,
        email: adminUsers.email,
        name: adminUsers.name,
        role: adminUsers.role,
        disabled: sql<boolean>`${adminUsers.disabledAt} is not null`,
      },
    })
    .from(apiTokens)
    .innerJoin(adminUsers, eq(adminUsers.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, hash))
    .limit(1);
  return row;
}

/** Records a use of the token; skipped by the caller unless the last recorded use is a minute old. */
export async function recordTokenUse(db: Database, id: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiTokens.id, id),
        or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`)),
      ),
    );
}
