// API token secrets: `sgp_` and 256 random bits; the database keeps only their SHA-256.
import { createHash, randomBytes } from 'node:crypto';

/** Every token starts with this, so secret scanners (and people) recognise a leaked one. */
export const TOKEN_PREFIX = 'sgp_';

/** `sgp_` and 43 base64url characters (32 random bytes). */
const TOKEN_FORMAT = /^sgp_[A-Za-z0-9_-]{43}$/;

/** Characters of the token shown in lists: the prefix and six of 43 random characters, useless to a guesser. */
const HINT_LENGTH = TOKEN_PREFIX.length + 6;

/** A new token: the secret for its holder, the hash to store and a hint to tell it apart. */
export function newTokenSecret(): { secret: string; hash: string; hint: string } {
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashTokenSecret(secret), hint: secret.slice(0, HINT_LENGTH) };
}

/**
 * SHA-256 hex of a token. A fast hash is enough here: the secret carries 256 random bits, so
 * there is nothing to brute-force from a stolen hash (unlike a password).
 */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** True when `value` has the shape of a token (anything else cannot match a stored hash). */
export function looksLikeToken(value: string): boolean {
  return TOKEN_FORMAT.test(value);
}
