// Structured JSON logs (pino), one logger per process, tagged with the service name.
import { pino, type Logger } from 'pino';
import { logMixin } from './log-context.js';

export type { Logger } from 'pino';

/**
 * Creates the process logger; `level` comes from LOG_LEVEL. Lines written inside a span carry its
 * trace ids (see `logMixin`).
 */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid }, mixin: logMixin });
}
