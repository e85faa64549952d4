// The security headers of every response: a Content-Security-Policy without inline script, no framing, nosniff.
import type { MiddlewareHandler } from 'hono';
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

/**
 * hono's secureHeaders with Sagaport's policy. Strict-Transport-Security is left to the proxy that
 * terminates TLS: the orchestrator itself speaks plain HTTP and cannot know the host's HTTPS setup.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy,
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: false,
  });
}
