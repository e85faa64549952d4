// What each role sees of a dead letter's error: operators the whole stack, viewers no stack frames.
import type { AdminRole } from '@sagaport/db';
import { Header } from '@sagaport/rabbitmq';

/** A stack frame line (`    at fn (/srv/app/dist/x.js:1:2)`): it names server files. */
const FRAME = /^\s*at\s/;

/** The stack without its frames: the error's name and message lines, and any `cause` headings. */
export function stackWithoutFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !FRAME.test(line))
    .join('\n')
    .trim();
}

/**
 * The dead letter as `role` may see it. Operators, who fix and replay, see everything. Viewers
 * read the error's name and message but no stack frames, which name server paths and
 * dependency versions: the stack loses its frames and the stack header is left out.
 */
export function deadLetterForRole<T extends { errorStack: string; headers: Record<string, unknown> }>(
  role: AdminRole,
  detail: T,
): T {
  if (role === 'operator') return detail;
  const { [Header.errorStack]: _stack, ...headers } = detail.headers;
  return { ...detail, errorStack: stackWithoutFrames(detail.errorStack), headers };
}
