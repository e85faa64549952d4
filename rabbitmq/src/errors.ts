// Failure classes a handler throws; the consumer maps them to a failed reply, a retry or a dead letter.

/** How the consumer treats a failed delivery: a failed reply, a retry, or a dead letter at once. */
export const FailureClass = {
  /** A refusal by the domain (out of stock, card declined): becomes a failed reply, not an error. */
  business: 'business',
  /** Worth retrying later (connection lost, deadlock, timeout, downstream 5xx). */
  transient: 'transient',
  /** Retrying cannot help (contract violation, unknown message type, a bug): dead-lettered at once. */
  permanent: 'permanent',
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

/** A failure that may succeed when retried after a delay. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A failure that no retry can fix; the message goes to its dead-letter queue on the first delivery. */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A message whose body is over the size limit (AMQP_MAX_MESSAGE_BYTES). */
export class MessageTooLargeError extends PermanentError {
  override readonly name = 'MessageTooLargeError';
}

/** A message body that is not valid JSON. */
export class InvalidJsonError extends PermanentError {
  override readonly name = 'InvalidJsonError';
}

/** A message whose type no contract knows. */
export class UnknownMessageTypeError extends PermanentError {
  override readonly name = 'UnknownMessageTypeError';
}

/** A message whose properties or body break its contract; `issues` names every field at fault. */
export class ContractViolationError extends PermanentError {
  override readonly name = 'ContractViolationError';
  constructor(
    message: string,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${message}: ${issues.join('; ')}`, options);
  }
}

/** A business refusal: the step did not happen, for a reason the saga must compensate for. */
export class BusinessRefusal extends Error {
  override readonly name = 'BusinessRefusal';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Error codes of Node sockets and PostgreSQL that mean "try again later". */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * `PublishError` reasons worth a retry: the broker is away or refused the message under pressure,
 * or no queue took it. `unroutable` is among them: right after a broker restart a queue can be
 * missing from the routing table for a moment, and a consumer's retries are bounded, so a truly
 * missing queue still ends in the dead-letter queue with this reason. `too-large` is permanent.
 */
const transientPublishReasons = new Set(['connection-lost', 'timeout', 'nacked', 'closed', 'unroutable']);

/**
 * The default classification: explicit classes win; known network and database codes are
 * transient (PostgreSQL class 08 is a connection exception), also when wrapped as a `cause`;
 * anything else is a bug, so permanent.
 */
export function classifyError(error: unknown): FailureClass {
  if (error instanceof BusinessRefusal) return FailureClass.business;
  if (error instanceof TransientError) return FailureClass.transient;
  if (error instanceof PermanentError) return FailureClass.permanent;
  // Walk the cause chain: drizzle and other wrappers keep the driver's error as `cause`.
  for (let current: unknown = error, depth = 0; current && depth < 8; depth += 1) {
    // A publish (a worker's reply, an event) the broker could not take now: the connection was
    // lost, none came back in time, the broker refused it under pressure, or no queue was there
    // to take it. Retry it; only retries that run out dead-letter it.
    const { name, reason } = current as { name?: unknown; reason?: unknown };
    if (name === 'PublishError' && typeof reason === 'string' && transientPublishReasons.has(reason)) {
      return FailureClass.transient;
    }
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (transientCodes.has(code) || code.startsWith('08'))) {
      return FailureClass.transient;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return FailureClass.permanent;
}
