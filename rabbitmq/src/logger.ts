// The logging surface this package needs; a pino logger satisfies it.

/** A structured logger: an object of fields, then a message (pino's signature). */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Discards everything; the default when a caller passes no logger. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
