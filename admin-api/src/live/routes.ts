// GET /live: the console's Server-Sent Events stream of what changed, filtered for the caller's role.
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { routeProblem } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, problems } from '../openapi.js';
import { changeForActor } from './changes.js';
import type { LiveEvent } from './hub.js';

const live = createRoute({
  method: 'get',
  path: '/live',
  tags: ['Live updates'],
  summary:
    'A Server-Sent Events stream of what changed (sagas, dead letters, replay jobs, audit, users, tokens)',
  description: [
    'Events: `hello` (first, with the current event id), `change` (JSON: per kind a `count` and up to a few',
    'dozen `ids`; `ids` shorter than `count` means more changed than listed), and `resync` (refetch',
    'everything: the server cannot tell what was missed). Each event has an id; reconnect with',
    '`Last-Event-ID` to receive what was missed. Comment lines every few seconds keep proxies from',
    'closing the stream, and the server ends it after a while so the client reconnects (re-checking',
    'the session). Changes are coalesced (a burst of thousands of saga transitions is a few events).',
    'Viewers receive no user-list changes and only their own API tokens.',
  ].join(' '),
  request: {
    headers: z.object({
      'last-event-id': z
        .string()
        .max(100)
        .optional()
        .openapi({ description: 'The id of the last event received, to resume after it' }),
    }),
  },
  responses: {
    200: {
      description: 'The event stream',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...problems(401, 429, 503),
  },
});

/** Open streams per session (or API token), process-wide. */
const openStreams = new Map<string, number>();

export function liveRoutes(deps: AdminDeps) {
  return adminRouter().openapi(live, async (c) => {
    const hub = deps.live;
    if (!hub) {
      return routeProblem(c, {
        title: 'Live updates unavailable',
        status: 503,
        detail: 'This server does not stream changes; refresh pages instead.',
      });
    }
    const actor = c.get('actor');
    const credential = c.get('credential');
    const key = credential.kind === 'session' ? `s:${credential.sessionId}` : `t:${credential.tokenId}`;
    const limit = deps.settings.liveStreamsPerSession;
    const open = openStreams.get(key) ?? 0;
    if (open >= limit) {
      c.header('Retry-After', '30');
      return routeProblem(c, {
        title: 'Too many live streams',
        status: 429,
        detail: `This session already has ${open} live streams open, the most allowed (${limit}). Close another console tab, or wait for a closed one to time out.`,
      });
    }
    openStreams.set(key, open + 1);
    const lastEventId = c.req.valid('header')['last-event-id'];
    const response = streamSSE(c, async (stream) => {
      // Writes leave one at a time, in order: heartbeats never cut into an event.
      let writing = Promise.resolve();
      const write = (run: () => Promise<unknown>) => {
        writing = writing.then(run).then(
          () => undefined,
          () => stream.abort(),
        );
      };
      const send = (event: LiveEvent) => {
        if (event.kind === 'resync') {
          write(() => stream.writeSSE({ event: 'resync', id: event.id, data: '{}' }));
          return;
        }
        const visible = changeForActor(event.change, actor);
        // Ids still advance for this stream, so a reconnect resumes at the right place.
        write(() => stream.writeSSE({ event: 'change', id: event.id, data: JSON.stringify(visible ?? {}) }));
      };
      // All synchronous: no event can fall between what was missed and what comes next.
      const startId = hub.lastId;
      const missed = lastEventId ? hub.eventsSince(lastEventId) : [];
      write(() =>
        stream.writeSSE({
          event: 'hello',
          id: startId,
          retry: 2_000,
          data: JSON.stringify({
            role: actor.role,
            resumed: lastEventId !== undefined && missed !== undefined,
          }),
        }),
      );
      if (missed === undefined) write(() => stream.writeSSE({ event: 'resync', id: startId, data: '{}' }));
      else for (const event of missed) send(event);
      const unsubscribe = hub.subscribe(send);
      let heartbeat: NodeJS.Timeout | undefined;
      let maxAge: NodeJS.Timeout | undefined;
      let offStop = () => {};
      const done = new Promise<void>((resolve) => {
        stream.onAbort(resolve);
        offStop = hub.onStop(resolve);
        // Ends now and then: the client reconnects (with Last-Event-ID), and the session is checked again.
        maxAge = setTimeout(resolve, deps.settings.liveStreamMaxMs);
        heartbeat = setInterval(
          () => write(() => stream.write(': keep-alive\n\n')),
          deps.settings.liveHeartbeatMs,
        );
      });
      try {
        await done;
        await writing;
      } finally {
        clearTimeout(maxAge);
        clearInterval(heartbeat);
        offStop();
        unsubscribe();
        const left = (openStreams.get(key) ?? 1) - 1;
        if (left > 0) openStreams.set(key, left);
        else openStreams.delete(key);
      }
    });
    // Proxies (nginx) must not buffer the stream.
    response.headers.set('X-Accel-Buffering', 'no');
    response.headers.set('Cache-Control', 'no-cache, no-store');
    return response;
  });
}
