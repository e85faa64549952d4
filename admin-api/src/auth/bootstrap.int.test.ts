import { adminUsers } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import type { Logger } from '@sagaport/rabbitmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultAdminSettings, type AdminSettings } from '../settings.js';
import { ensureBootstrapOperator } from './bootstrap.js';
import { verifyPassword } from './password.js';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: object;
  message: string;
}

function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
}

describe('ensureBootstrapOperator (real PostgreSQL)', () => {
  let database: MigratedTestDatabase;
  beforeAll(async () => {
    database = await createMigratedTestDatabase(12, 'sagaport-bootstrap-test');
  });
  afterAll(async () => {
    await database.dispose();
  });
  beforeEach(async () => {
    await database.db.delete(adminUsers);
  });

  const bootstrap = (settings: Partial<AdminSettings>, logger = recordingLogger()) =>
    ensureBootstrapOperator({ database, settings: { ...defaultAdminSettings, ...settings }, logger });

  it('creates the operator with a generated password and logs that password once, in a warning', async () => {
    const logger = recordingLogger();
    const outcome = await bootstrap({ bootstrapEmail: 'First@Sagaport.Test' }, logger);
    expect(outcome).toEqual({ created: true, email: 'first@sagaport.test', generatedPassword: true });
    const users = await database.db.select().from(adminUsers);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: 'first@sagaport.test', role: 'operator' });

    expect(logger.lines).toHaveLength(1);
    const line = logger.lines[0]!;
    expect(line.level).toBe('warn');
    const match = /^first operator created: first@sagaport\.test \/ (\S+) — change it/.exec(line.message);
    expect(match).not.toBeNull();
    expect(match![1]!.length).toBeGreaterThanOrEqual(20);
    await expect(verifyPassword(match![1]!, users[0]!.passwordHash)).resolves.toBe(true);
  });

  it('uses ADMIN_PASSWORD when set and never logs it', async () => {
    const logger = recordingLogger();
    const password = 'configured password 123';
    await bootstrap({ bootstrapEmail: 'ops@sagaport.test', bootstrapPassword: password }, logger);
    const [user] = await database.db.select().from(adminUsers);
    await expect(verifyPassword(password, user!.passwordHash)).resolves.toBe(true);
    expect(JSON.stringify(logger.lines)).not.toContain(password);
    expect(logger.lines.map((l) => l.level)).toEqual(['info']);
  });

  it('does nothing when any user exists', async () => {
    await database.db
      .insert(adminUsers)
      .values({ email: 'someone@sagaport.test', name: 'Someone', role: 'viewer', passwordHash: 'x' });
    const logger = recordingLogger();
    expect(await bootstrap({}, logger)).toEqual({ created: false });
    expect(await database.db.select({ email: adminUsers.email }).from(adminUsers)).toEqual([
      { email: 'someone@sagaport.test' },
    ]);
    expect(logger.lines).toEqual([]);
  });

  it('creates exactly one operator when several orchestrators start at once, even with different emails', async () => {
    const loggers = Array.from({ length: 8 }, () => recordingLogger());
    const outcomes = await Promise.all(
      loggers.map((logger, i) => bootstrap({ bootstrapEmail: `admin-${i % 2}@sagaport.test` }, logger)),
    );
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(await database.db.select().from(adminUsers)).toHaveLength(1);
    expect(loggers.flatMap((l) => l.lines)).toHaveLength(1);
  });
});
