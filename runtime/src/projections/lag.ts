// How far a projection is behind the stream's end, in events and in seconds.
import type { AmqpConnectionManager } from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import { readCheckpoint } from './store.js';
import { streamTail } from './stream.js';

/** How far a projection is behind the stream's end. */
export interface ProjectionLag {
  readonly events: number;
  readonly seconds: number;
  readonly streamEnd: number;
  readonly offset: number;
}

/** A projection's lag: the stream's last offset minus its checkpoint, and the time between their events. */
export async function measureLag(
  sql: postgres.Sql,
  connection: AmqpConnectionManager,
  queue: string,
  projection: string,
): Promise<ProjectionLag> {
  const [checkpoint, tail] = await Promise.all([
    readCheckpoint(sql, projection),
    streamTail(connection, queue),
  ]);
  const offset = checkpoint?.streamOffset ?? -1;
  const end = tail?.offset ?? -1;
  const events = Math.max(0, end - offset);
  let seconds = 0;
  if (events > 0 && tail?.at) {
    const since = checkpoint?.lastEventAt ?? null;
    seconds = since ? Math.max(0, (tail.at.getTime() - since.getTime()) / 1000) : 0;
  }
  return { events, seconds, streamEnd: end, offset };
}
