// A request's id, kept on its Hono context, for the log lines written about the request.
import type { Context } from 'hono';

const KEY = 'requestId';

/** Records `id` as the request's id (the middleware that answers `x-request-id` does). */
export function setRequestId(c: Context, id: string): void {
  (c as Context<{ Variables: { [KEY]: string } }>).set(KEY, id);
}

/**
 * The log fields of a request: `{ request_id }` once an id was given, else none. Handlers and
 * error hooks that log about a request spread them into the line.
 */
export function requestLogFields(c: Context): { request_id?: string } {
  const id = (c as Context<{ Variables: { [KEY]?: string } }>).get(KEY);
  return id === undefined ? {} : { request_id: id };
}
