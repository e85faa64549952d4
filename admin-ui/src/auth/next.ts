// Where the console goes after signing in: a path of this origin, never another site.

/** Backslashes (browsers read `/\host` as `//host`) and control characters (tab, newline: stripped by URL parsing). */
const UNSAFE_CHARACTERS = /[\\\p{Cc}]/u;

/** The same, percent-encoded: a later decode must not turn a harmless path into an unsafe one. */
const UNSAFE_ENCODED = /%(?:5c|[01][0-9a-f]|7f)/i;

/**
 * `next` as a path, query and fragment of `origin`, or `/` when it is missing, names another
 * origin, is not an absolute path, contains a backslash or a control character (raw or
 * percent-encoded), or points back at the login page. The check parses `next` against the
 * origin, as the browser will, and compares origins rather than looking at prefixes.
 */
export function safeNext(next: string | null, origin: string = window.location.origin): string {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return '/';
  if (UNSAFE_CHARACTERS.test(next) || UNSAFE_ENCODED.test(next)) return '/';
  let target: URL;
  try {
    target = new URL(next, origin);
  } catch {
    return '/';
  }
  if (target.origin !== new URL(origin).origin) return '/';
  if (target.pathname === '/login' || target.pathname.startsWith('/login/')) return '/';
  return `${target.pathname}${target.search}${target.hash}`;
}
