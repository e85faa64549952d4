// The security headers of every response: a Content-Security-Policy without inline script, no framing, nosniff.
import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The console and the docs page load scripts and styles only from their own origin (no inline
 * script, no eval), talk only to it, and may not be framed by anyone (clickjacking). `data:` images
 * cover the console's inline favicon. React sets `style` through the DOM, which the policy allows.
 */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const secureHeaderOptions = {
  contentSecurityPolicy,
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  strictTransportSecurity: false,
} as const;

let headerValues: Promise<readonly (readonly [string, string])[]> | undefined;

/** The headers hono's secureHeaders sets with Sagaport's policy, read once from a probe app. */
function secureHeaderValues(): Promise<readonly (readonly [string, string])[]> {
  return (headerValues ??= (async () => {
    const probe = new Hono().use('*', secureHeaders(secureHeaderOptions)).get('/', (c) => c.body(null));
    const response = await probe.request('/');
    return [...response.headers.entries()].filter(([name]) => name !== 'content-type');
  })());
}

/**
 * hono's secureHeaders with Sagaport's policy. Strict-Transport-Security is left to the proxy that
 * terminates TLS: the orchestrator itself speaks plain HTTP and cannot know the host's HTTPS setup.
 *
 * The headers are the ones hono's middleware computes, but set before the handler runs, so they
 * travel with the response it creates: set on a finished response (as hono's middleware does,
 * after `next()`), they made the Node adapter turn its light response into a full web `Response`
 * and copy it, on every request of the checkout path.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    for (const [name, value] of await secureHeaderValues()) c.header(name, value);
    await next();
  };
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/**
 * The Content-Security-Policy header with sources added to some directives, for the one page
 * whose renderer needs them (see docs-page.ts); every other response keeps the base policy.
 */
export function contentSecurityPolicyWith(
  added: Partial<Record<keyof typeof contentSecurityPolicy, readonly string[]>>,
): string {
  return Object.entries(contentSecurityPolicy)
    .map(([name, sources]) => {
      const all = [...sources, ...(added[name as keyof typeof contentSecurityPolicy] ?? [])];
      return `${kebab(name)} ${all.join(' ')}`;
    })
    .join('; ');
}
