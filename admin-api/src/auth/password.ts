// Password hashing for console users: scrypt with a per-password salt, self-describing strings.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
) => Promise<Buffer>;

/** Cost parameters of new hashes (OWASP's scrypt minimum is N=2^17 r=8 p=1 at 128 MiB; 2^14 keeps logins fast on small hosts). */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1, keylen: 64 } as const;

/** Bounds when reading a stored hash, so a corrupt row cannot make one login take gigabytes or minutes. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_P = 16;

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Hashes `password` as `scrypt$N$r$p$saltB64$hashB64` with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keylen } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, keylen, { N, r, p, maxmem: maxmem(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** True when `password` matches `stored`; false for a wrong password and for any unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { N, r, p, salt, hash } = parsed;
  const candidate = await scrypt(password, salt, hash.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(candidate, hash);
}

/**
 * A valid hash of a random secret, to verify against when the user does not exist: the login
 * then costs the same scrypt work whether or not the email is known.
 */
export const UNKNOWN_USER_HASH = [
  'scrypt',
  SCRYPT_PARAMS.N,
  SCRYPT_PARAMS.r,
  SCRYPT_PARAMS.p,
  randomBytes(16).toString('base64'),
  randomBytes(SCRYPT_PARAMS.keylen).toString('base64'),
].join('$');

// scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is too tight for some valid parameters.
function maxmem(N: number, r: number): number {
  return 128 * N * r + 16 * 1024 * 1024;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1 || p > MAX_P)
    return undefined;
  if (128 * N * r > MAX_MEMORY_BYTES) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}
