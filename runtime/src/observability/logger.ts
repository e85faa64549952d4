// Structured JSON logs (pino), one logger per process, tagged with the service name.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Creates the process logger; `level` comes from LOG_LEVEL. */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid } });
}
