import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, SCRYPT_PARAMS, UNKNOWN_USER_HASH, verifyPassword } from './password.js';

describe('password hashing (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash with a 16-byte salt and a 64-byte key that plain scrypt reproduces', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const [scheme, N, r, p, salt, hash] = stored.split('$');
    expect([scheme, N, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(SCRYPT_PARAMS.keylen);
    const expected = scryptSync('correct horse battery staple', Buffer.from(salt!, 'base64'), 64, {
      N: 16_384,
      r: 8,
      p: 1,
    });
    expect(hash).toBe(expected.toString('base64'));
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('s3cret-passphrase');
    await expect(verifyPassword('s3cret-passphrase', stored)).resolves.toBe(true);
    await expect(verifyPassword('s3cret-passphrasE', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash: the same password never hashes to the same string twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same password', a)).resolves.toBe(true);
    await expect(verifyPassword('same password', b)).resolves.toBe(true);
  });

  it('verifies hashes made with other cost parameters, as the stored string says', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('older hash', salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    await expect(verifyPassword('older hash', stored)).resolves.toBe(true);
    await expect(verifyPassword('other', stored)).resolves.toBe(false);
  });

  it('refuses, without throwing, every stored value it cannot read or that would cost too much', async () => {
    const salt = Buffer.alloc(16, 1).toString('base64');
    const hash = Buffer.alloc(64, 2).toString('base64');
    const unreadable = [
      'scrypt$unusable',
      '',
      `bcrypt$16384$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$16384$0$1$${salt}$${hash}`,
      `scrypt$16384$8$1000$${salt}$${hash}`,
      `scrypt$1073741824$8$1$${salt}$${hash}`, // 1 TiB of memory
      `scrypt$16384$8$1$$${hash}`,
      `scrypt$16384$8$1$${salt}$`,
    ];
    for (const stored of unreadable) {
      await expect(verifyPassword('anything', stored), stored).resolves.toBe(false);
    }
  });

  it('has a readable stand-in hash for unknown users that no password matches', async () => {
    expect(UNKNOWN_USER_HASH).toMatch(/^scrypt\$16384\$8\$1\$[^$]+\$[^$]+$/);
    await expect(verifyPassword('', UNKNOWN_USER_HASH)).resolves.toBe(false);
    await expect(verifyPassword('admin', UNKNOWN_USER_HASH)).resolves.toBe(false);
  });
});
