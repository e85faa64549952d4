// Live updates of one process: coalesces local signals into one NOTIFY per window, listens on one connection, fans out to every open stream.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import { ChangeAccumulator, parseChange, type Change, type LiveSignal } from './changes.js';

/** NOTIFY channel every orchestrator publishes its coalesced changes on and listens to. */
export const LIVE_CHANNEL = 'sagaport_live';

/** What a stream receives: a change with its id, or a request to refetch everything. */
export type LiveEvent =
  | { readonly kind: 'change'; readonly id: string; readonly change: Change }
  | { readonly kind: 'resync'; readonly id: string };

export interface LiveHubOptions {
  /** Publishes and listens; LISTEN takes one dedicated connection of this client. */
  readonly sql: postgres.Sql;
  readonly logger: Logger;
  /** Signals within this window leave as one notification (default 200 ms). */
  readonly windowMs?: number;
  /** Events kept for streams that reconnect with `Last-Event-ID` (default 500). */
  readonly replayable?: number;
}

/** Counters for the logs and the tests: notifications sent and received. */
export interface LiveStats {
  notifiesSent: number;
  notificationsReceived: number;
  eventsDelivered: number;
}

/**
 * One per process. {@link signal} is cheap and synchronous (a set insert): callers on busy paths
 * never wait. Every `windowMs` at most one `pg_notify` carries what changed, so consoles attached
 * to any orchestrator see changes made by all of them. Event ids are `<epoch>.<seq>`: a stream
 * that reconnects to the same process gets what it missed; elsewhere (or too late) it is told to
 * refetch everything.
 */
export class LiveHub {
  readonly stats: LiveStats = { notifiesSent: 0, notificationsReceived: 0, eventsDelivered: 0 };
  private readonly epoch = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private readonly origin = randomBytes(6).toString('hex');
  private seq = 0;
  private pending = new ChangeAccumulator();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly recent: LiveEvent[] = [];
  private readonly subscribers = new Set<(event: LiveEvent) => void>();
  private readonly closers = new Set<() => void>();
  private listener: postgres.ListenMeta | undefined;
  private listens = 0;
  private stopped = false;

  constructor(private readonly options: LiveHubOptions) {}

  /** Starts listening (one connection); a reconnect of that connection tells every stream to refetch. */
  async start(): Promise<void> {
    this.listener = await this.options.sql.listen(
      LIVE_CHANNEL,
      (payload) => this.received(payload),
      () => {
        // The first call is the initial LISTEN; later ones follow a lost connection: notifications
        // sent meanwhile are gone, so every console refetches.
        this.listens += 1;
        if (this.listens > 1) this.publish({ kind: 'resync', id: this.nextId() });
      },
    );
  }

  /** Ends every open stream (their clients reconnect, to another process if this one is gone), sends what is pending, stops listening. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const close of this.closers) close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    await this.listener?.unlisten().catch(() => undefined);
  }

  /** Reports a change; it leaves with the others of its window. */
  signal(signal: LiveSignal): void {
    if (this.stopped) return;
    this.pending.add(signal);
    if (this.pending.empty || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.windowMs ?? 200);
    this.timer.unref();
  }

  /** The id of the latest event: a new stream starts there. */
  get lastId(): string {
    return `${this.epoch}.${this.seq}`;
  }

  /** Events after `lastEventId`, or undefined when they cannot be told (another process, or too long ago). */
  eventsSince(lastEventId: string): LiveEvent[] | undefined {
    const [epoch, seqText] = lastEventId.split('.');
    const seq = Number(seqText);
    if (epoch !== this.epoch || !Number.isSafeInteger(seq) || seq < 0 || seq > this.seq) return undefined;
    if (seq === this.seq) return [];
    const oldest = this.recent[0] ? Number(this.recent[0].id.split('.')[1]) : this.seq + 1;
    if (seq + 1 < oldest) return undefined;
    return this.recent.filter((e) => Number(e.id.split('.')[1]) > seq);
  }

  /** Calls `deliver` with every event from now on; returns the unsubscribe function. */
  subscribe(deliver: (event: LiveEvent) => void): () => void {
    this.subscribers.add(deliver);
    return () => this.subscribers.delete(deliver);
  }

  /** Calls `close` when the hub stops; returns the function that forgets it. */
  onStop(close: () => void): () => void {
    if (this.stopped) close();
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  get streams(): number {
    return this.subscribers.size;
  }

  private flush(): Promise<void> {
    if (this.pending.empty) return this.flushing;
    const change = this.pending.take();
    this.pending = new ChangeAccumulator();
    const payload = JSON.stringify({ o: this.origin, c: change });
    // In order, one at a time: a slow database delays the next window's notification, never doubles it.
    this.flushing = this.flushing.then(async () => {
      try {
        await this.options.sql`select pg_notify(${LIVE_CHANNEL}, ${payload})`;
        this.stats.notifiesSent += 1;
      } catch (error) {
        // Consoles miss this change; their next reconnect or the next change refetches.
        this.options.logger.warn({ err: error }, 'live update not sent');
      }
    });
    return this.flushing;
  }

  private received(payload: string): void {
    const parsed = parseChange(payload);
    if (!parsed) return;
    this.stats.notificationsReceived += 1;
    this.publish({ kind: 'change', id: this.nextId(), change: parsed.change });
  }

  private nextId(): string {
    this.seq += 1;
    return this.lastId;
  }

  private publish(event: LiveEvent): void {
    this.recent.push(event);
    if (this.recent.length > (this.options.replayable ?? 500)) this.recent.shift();
    for (const deliver of this.subscribers) {
      this.stats.eventsDelivered += 1;
      deliver(event);
    }
  }
}
