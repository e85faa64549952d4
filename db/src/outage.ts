// Tells a database outage from a failed query, and waits until PostgreSQL answers again.

/** Socket and postgres.js codes, and PostgreSQL SQLSTATEs, that mean "the server is not there". */
const outageCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/**
 * Whether `error` (or any error in its `cause` chain: drizzle wraps driver errors) means the
 * database is unreachable, as opposed to a query that failed on a working server.
 */
export function isDatabaseOutage(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (outageCodes.has(code) || code.startsWith('08'))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface DatabaseGateOptions {
  /** A cheap query (`select 1`); resolving means the database is back. */
  readonly probe: () => Promise<unknown>;
  /** First wait between probes; doubles up to `maxDelayMs`. */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A probe that has not answered within this counts as failed (a hung pool must not keep the gate shut). Default 10 s. */
  readonly probeTimeoutMs?: number;
  readonly onOutage?: (state: 'down' | 'up', downForMs: number) => void;
}

/**
 * A gate consumers wait at while PostgreSQL is down, so an outage does not burn their
 * messages' retry attempts. One probe loop (`select 1`, with backoff) serves every waiter.
 */
export class DatabaseGate {
  private probing: Promise<void> | undefined;

  constructor(private readonly options: DatabaseGateOptions) {}

  /** Whether the gate is closed: a probe loop is waiting for the database. */
  get down(): boolean {
    return this.probing !== undefined;
  }

  isOutage(error: unknown): boolean {
    return isDatabaseOutage(error);
  }

  /** Resolves once `select 1` succeeds; rejects if `signal` aborts first. */
  waitUntilAvailable(signal?: AbortSignal): Promise<void> {
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    if (!signal) return this.probing;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new Error('stopped while waiting for the database'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.probing!.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async probe(): Promise<void> {
    const started = Date.now();
    this.options.onOutage?.('down', 0);
    let delay = this.options.minDelayMs ?? 250;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeoutMs = this.options.probeTimeoutMs ?? 10_000;
        await Promise.race([
          this.options.probe(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`probe unanswered after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        this.options.onOutage?.('up', Date.now() - started);
        return;
      } catch {
        delay = Math.min(delay * 2, this.options.maxDelayMs ?? 5_000);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
