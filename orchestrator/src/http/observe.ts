// Every request of the public port: a request id, a server span when tracing is on, an access log line and metrics.
import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '@sagaport/rabbitmq';
import { setRequestId, tracer, tracingEnabled } from '@sagaport/runtime';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Counter, Histogram } from 'prom-client';

/** The request id header: kept from the client when it is sane, else generated; echoed on the response. */
export const REQUEST_ID_HEADER = 'x-request-id';
const saneRequestId = /^[\w.:@/-]{1,128}$/;

/** Which API a path belongs to (a bounded label). */
export function apiOf(path: string): 'checkout' | 'admin' | 'other' {
  if (path === '/checkouts' || path.startsWith('/checkouts/')) return 'checkout';
  if (path.startsWith('/api/admin')) return 'admin';
  return 'other';
}

/** The route template that answered (`/checkouts/:id`), or `unknown` (nothing matched): bounded labels. */
export function routeOf(c: Context): string {
  const handlers = matchedRoutes(c).filter((route) => route.method !== 'ALL');
  return handlers.at(-1)?.path ?? 'unknown';
}

export interface HttpObserverOptions {
  readonly logger: Logger;
  readonly requests: Counter<'api' | 'route' | 'method' | 'status'>;
  readonly duration: Histogram<'api' | 'route' | 'method'>;
}

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Gives each request an id (the `x-request-id` header), kept on the context for the log lines
 * written about the request (`requestLogFields`: the access line, the error hooks); with tracing
 * on, a SERVER span (child of an incoming `traceparent`) is the active context, so a checkout's
 * saga joins the request's trace. After the answer: one access log line and the request
 * metrics, labelled by API, route template, method and status.
 */
export function observeRequests(options: HttpObserverOptions): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const requestId = incoming && saneRequestId.test(incoming) ? incoming : randomUUID();
    const api = apiOf(c.req.path);
    const method = knownMethods.has(c.req.method) ? c.req.method : 'OTHER';
    const span = tracingEnabled()
      ? tracer().startSpan(
          `${method} ${api === 'other' ? c.req.path.split('/')[1] || '/' : api}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': method,
              'url.path': c.req.path,
              'http.request.header.x-request-id': requestId,
            },
          },
          propagation.extract(context.active(), c.req.header()),
        )
      : undefined;
    // Before the handler: a header set on a finished response makes the Node adapter build a
    // full web Response and copy it.
    c.header(REQUEST_ID_HEADER, requestId);
    setRequestId(c, requestId);
    try {
      await (span ? context.with(trace.setSpan(context.active(), span), next) : next());
    } finally {
      const route = routeOf(c);
      const status = c.res.status;
      const seconds = (performance.now() - started) / 1000;
      options.requests.inc({ api, route, method, status: String(status) });
      options.duration.observe({ api, route, method }, seconds);
      if (span) {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      const ids = span?.spanContext();
      options.logger.info(
        {
          request_id: requestId,
          api,
          method,
          path: c.req.path,
          route,
          status,
          duration_ms: Math.round(seconds * 1000 * 10) / 10,
          ...(ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
        },
        'request',
      );
    }
  };
}
