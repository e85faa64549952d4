// Test support: a PostgreSQL cluster of a test's own (initdb + pg_ctl in a temp dir, its own port),
// so an outage test can stop and start a server without touching the one everyone shares.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const runFile = promisify(execFile);

/** The directory of initdb/pg_ctl: PG_BIN_DIR, else the newest /usr/lib/postgresql/<v>/bin. */
function binDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'cannot start a private PostgreSQL server: no initdb under /usr/lib/postgresql/*/bin; install postgresql or set PG_BIN_DIR',
    );
  }
  return join(root, versions[0]!, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
async function asServerUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout: uid } = await runFile('id', ['-u', 'postgres']);
  const { stdout: gid } = await runFile('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

const running = new Set<PrivatePostgres>();
process.once('exit', () => {
  for (const server of running) server.killNow();
});

/**
 * One PostgreSQL server started by a test: trust authentication on 127.0.0.1 and a free port,
 * data in a temp dir, fsync off. `stop()`/`start()` make an outage; `dispose()` removes it all.
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
    /** More server settings (`name=value`), after the defaults below. */
    private readonly settings: readonly string[],
  ) {}

  /** Server URL (the `postgres` database), for `createMigratedTestDatabase`'s `serverUrl`. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(options: { settings?: readonly string[] } = {}): Promise<PrivatePostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'sagaport-postgres-'));
    const user = await asServerUser();
    await chmod(dir, 0o700);
    if (user) await chown(dir, user.uid, user.gid);
    const server = new PrivatePostgres(dir, await freePort(), user, options.settings ?? []);
    await server.tool('initdb', [
      '-D',
      server.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await server.start();
    running.add(server);
    return server;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private async tool(name: string, args: string[]): Promise<string> {
    const { stdout } = await runFile(join(binDir(), name), args, {
      timeout: 120_000,
      uid: this.user?.uid,
      gid: this.user?.gid,
      cwd: this.dir,
    });
    return stdout;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
      ...this.settings.map((setting) => `-c ${setting}`),
    ].join(' ');
    await this.tool('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      options,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      'start',
    ]);
  }

  /** Stops the server (fast shutdown: every session is cut). */
  async stop(): Promise<void> {
    await this.tool('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
  }

  /**
   * Crashes the server: an immediate shutdown, as if it were killed. What its commits left in
   * shared memory and had not written (an asynchronous commit's WAL) is lost; the next start
   * recovers from the WAL that was written.
   */
  async crash(): Promise<void> {
    await this.tool('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops the server, keeps it down for `downMs`, then starts it again. */
  async outage(downMs: number, onStopped?: () => void): Promise<void> {
    await this.stop();
    onStopped?.();
    try {
      await new Promise((r) => setTimeout(r, downMs));
    } finally {
      await this.start();
    }
  }

  /** Kills the server at once (for a test runner that exits). */
  killNow(): void {
    try {
      // Synchronous (it runs on exit): the postmaster's pid is the first line of postmaster.pid.
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }

  /** Stops the server and removes its files. */
  async dispose(): Promise<void> {
    await this.stop().catch(() => this.killNow());
    running.delete(this);
    await rm(this.dir, { recursive: true, force: true });
  }
}
