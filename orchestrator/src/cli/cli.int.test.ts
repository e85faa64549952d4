// The real `sagaport` process against a real admin API (HTTP on a port, PostgreSQL, RabbitMQ): output and exit codes.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { apiTokens, deadLetters } from '@sagaport/db';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, createTestToken } from '@sagaport/admin-api/testing';
import { insertDeadLetter, sagaState, startCheckout } from '../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../test-support/stack.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the sagaport CLI, run as a process against the admin API', () => {
  let stack: TestStack;
  let server: ServerType;
  let url: string;
  let operatorToken: string;
  let viewerToken: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const { db } = stack.database;
    const operator = await createTestSession(db, stack.orchestrator.app, 'operator');
    operatorToken = (await createTestToken(db, operator.userId, 'operator')).secret;
    viewerToken = (await createTestToken(db, operator.userId, 'viewer')).secret;
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: stack.orchestrator.app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(s),
      );
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await stack?.cleanup();
  });

  /** Runs the CLI with `args`, the URL and `token` in its environment (no token when null). */
  function cli(args: string[], token: string | null = operatorToken): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, SAGAPORT_URL: url };
    delete env.SAGAPORT_TOKEN;
    if (token !== null) env.SAGAPORT_TOKEN = token;
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', main, ...args], { env }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Open dead letters of an event (replaying an event checks no saga), in one fresh failure group. */
  async function seedDeadLetters(
    count: number,
  ): Promise<{ ids: string[]; fingerprint: string; orderIds: string[] }> {
    const { topology } = stack.broker;
    const fingerprint = `fp-${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    const orderIds = Array.from({ length: count }, () => randomUUID());
    for (let i = 0; i < count; i += 1) {
      ids.push(
        await insertDeadLetter(stack.database.db, {
          sagaId: randomUUID(),
          messageType: 'order.confirmed',
          messageId: randomUUID(),
          body: { orderId: orderIds[i] },
          originalExchange: topology.exchanges.events,
          originalQueue: topology.queues.events,
        }),
      );
    }
    await stack.database.db.update(deadLetters).set({ fingerprint }).where(inArray(deadLetters.id, ids));
    return { ids, fingerprint, orderIds };
  }

  const statuses = async (ids: string[]) =>
    (
      await stack.database.db
        .select({ status: deadLetters.status })
        .from(deadLetters)
        .where(inArray(deadLetters.id, ids))
    ).map((r) => r.status);

  it('lists dead letters as a table, and as the API’s JSON with --json', async () => {
    const { ids, fingerprint } = await seedDeadLetters(2);
    const human = await cli(['dead-letters', 'list', '--fingerprint', fingerprint]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+TYPE\s+CLASS\s+TRIES\s+LAST FAILED\s+SAGA\s+ERROR$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual([...ids].sort());

    const json = await cli(['--json', 'dead-letters', 'list', '--fingerprint', fingerprint]);
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { id: string; status: string }[] };
    expect(page.items.map((d) => d.id).sort()).toEqual([...ids].sort());
  });

  it('shows one dead letter with its body', async () => {
    const { ids, orderIds } = await seedDeadLetters(1);
    const shown = await cli(['dead-letters', 'show', ids[0]!]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id\\s+${ids[0]}$`, 'm'));
    expect(shown.stdout).toContain(`"orderId": "${orderIds[0]}"`);
  });

  it('discards dead letters and replays one, changing them in the database', async () => {
    const { ids } = await seedDeadLetters(3);
    const discarded = await cli(['dead-letters', 'discard', ids[0]!, ids[1]!, '--reason', 'duplicate order']);
    expect(discarded.code).toBe(0);
    expect(discarded.stdout).toContain('discarded');
    const replayed = await cli(['--json', 'dead-letters', 'replay', ids[2]!, '--reason', 'cause fixed']);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ deadLetterId: ids[2], edited: false });
    expect(await statuses(ids)).toEqual(expect.arrayContaining(['discarded', 'discarded', 'replayed']));
  });

  it('previews a replay, and dry-runs a bulk replay, changing nothing', async () => {
    const { ids, fingerprint } = await seedDeadLetters(2);
    await cli(['dead-letters', 'discard', ids[0]!]);
    const refused = await cli(['dead-letters', 'preview', ids[0]!]);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stdout).toMatch(/^verdict\s+refused \(409 already-discarded\)$/m);
    const fine = await cli(['--json', 'dead-letters', 'preview', ids[1]!]);
    expect(fine.code, fine.stderr).toBe(0);
    expect(JSON.parse(fine.stdout)).toMatchObject({ willReplay: true, refusal: null });
    const dry = await cli(['dead-letters', 'replay-bulk', '--dry-run', ...ids]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^dry run: 2 selected, 1 would be replayed, 1 skipped, 0 failed$/m);
    const group = await cli([
      '--json',
      'dead-letters',
      'replay-bulk',
      '--dry-run',
      '--fingerprint',
      fingerprint,
    ]);
    expect(JSON.parse(group.stdout)).toMatchObject({ total: 1, wouldReplay: 1 });
    expect(await statuses(ids)).toEqual(expect.arrayContaining(['discarded', 'open']));
  });

  it('replays a failure group in bulk, showing progress until the job ends', async () => {
    const { ids, fingerprint } = await seedDeadLetters(4);
    const run = await cli(['dead-letters', 'replay-bulk', '--fingerprint', fingerprint, '--rate', '2']);
    expect(run.code, run.stderr).toBe(0);
    const progress = run.stderr.trimEnd().split('\n');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatch(/completed: 4\/4 \(replayed 4, skipped 0, failed 0\)$/);
    expect(run.stdout).toMatch(/^status\s+completed$/m);
    expect(await statuses(ids)).toEqual(['replayed', 'replayed', 'replayed', 'replayed']);
  });

  it('finds sagas by filter, shows one, and compensates it', async () => {
    const email = `cli-${randomUUID().slice(0, 8)}@example.com`;
    const sagaId = await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`, email);
    const found = await cli(['--json', 'sagas', 'list', '--search', email]);
    expect(found.code).toBe(0);
    expect((JSON.parse(found.stdout) as { items: { id: string }[] }).items.map((s) => s.id)).toEqual([
      sagaId,
    ]);
    const shown = await cli(['sagas', 'show', sagaId]);
    expect(shown.stdout).toMatch(/^status\s+running/m);
    expect(shown.stdout).toContain('timeline:');

    const compensated = await cli(['sagas', 'compensate', sagaId]);
    expect(compensated.code, compensated.stderr).toBe(0);
    expect(compensated.stdout).toMatch(new RegExp(`^compensate: saga ${sagaId} is compensat`));
    expect((await sagaState(stack.database.db, sagaId)).status).toMatch(/^compensat/);
  });

  it('prints the problem’s title and detail and exits 1 when the API refuses', async () => {
    const { ids } = await seedDeadLetters(1);
    const narrow = await cli(['dead-letters', 'discard', ids[0]!], viewerToken);
    expect(narrow.code).toBe(1);
    expect(narrow.stdout).toBe('');
    expect(narrow.stderr).toMatch(/^error: Token scope too narrow \(403\): This token may only read/);
    expect(await statuses(ids)).toEqual(['open']);

    const missing = await cli(['dead-letters', 'show', randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*\(404\)/);

    const invalid = await cli(['sagas', 'show', 'not-a-uuid']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/\(422\).*\n\s+id: /);
  });

  it('says a revoked or expired token is revoked or expired (exit 1), and asks for a token when there is none (exit 2)', async () => {
    const { db } = stack.database;
    const user = await createTestSession(db, stack.orchestrator.app, 'operator');
    const revoked = await createTestToken(db, user.userId, 'operator');
    await db
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(eq(apiTokens.id, revoked.id));
    const expired = await createTestToken(db, user.userId, 'operator', -1_000);

    const byRevoked = await cli(['sagas', 'list'], revoked.secret);
    expect(byRevoked).toMatchObject({ code: 1, stdout: '' });
    expect(byRevoked.stderr).toMatch(/^error: API token revoked \(401\)/);
    const byExpired = await cli(['sagas', 'list'], expired.secret);
    expect(byExpired.code).toBe(1);
    expect(byExpired.stderr).toMatch(/^error: API token expired \(401\)/);

    const none = await cli(['sagas', 'list'], null);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('SAGAPORT_TOKEN');
    const usage = await cli(['sagas', 'list', '--limit', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--limit must be a positive integer');
  });
});
