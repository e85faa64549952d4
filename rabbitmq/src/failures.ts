// What the consumer does with a failed delivery: schedule a retry in a delay tier, or dead-letter it.
import type { ConsumeMessage } from 'amqplib';
import { DeliveryOutcome, type ConsumerOptions } from './consumer-options.js';
import { deadLetterMessage, retryMessage } from './dead-letter.js';
import { attemptOf } from './envelope.js';
import { FailureClass } from './errors.js';
import type { Logger } from './logger.js';
import { planRetry } from './retry.js';

/**
 * The fields that identify a delivery in a log line: queue, `message_id`, `message_type`,
 * `saga_id` (its correlation id) and the `trace_id` / `span_id` of its trace context, when present.
 */
export function messageLogFields(raw: ConsumeMessage, queue: string): Record<string, unknown> {
  const { messageId, type, correlationId, headers } = raw.properties as {
    messageId?: unknown;
    type?: unknown;
    correlationId?: unknown;
    headers?: Record<string, unknown>;
  };
  const fields: Record<string, unknown> = { queue, type, message_type: type, message_id: messageId };
  if (typeof correlationId === 'string') fields['saga_id'] = correlationId;
  const traceparent = headers?.['traceparent'];
  const ids =
    typeof traceparent === 'string'
      ? /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/.exec(traceparent)
      : null;
  if (ids) {
    fields['trace_id'] = ids[1];
    fields['span_id'] = ids[2];
  }
  return fields;
}

/**
 * Publishes a failed delivery, with a confirm, to its next retry tier (a transient failure with
 * attempts left) or to its dead-letter queue (anything else), the reason in its headers. Rejects
 * when the broker does not confirm: the caller then requeues the delivery rather than lose it.
 */
export async function publishFailure(
  options: ConsumerOptions,
  log: Logger,
  raw: ConsumeMessage,
  error: unknown,
  errorClass: FailureClass | 'crash-loop',
): Promise<DeliveryOutcome> {
  const { topology, queue, publisher, consumerName } = options;
  const attempt = attemptOf(raw);
  const context = { queue, failedBy: consumerName, errorClass, error, attempt };
  if (errorClass === FailureClass.transient) {
    const plan = planRetry(attempt, options.retry);
    if (plan.kind === 'retry') {
      await publisher.publish(
        retryMessage(raw, {
          ...context,
          retryExchange: topology.exchanges.retry,
          tierName: plan.tier.name,
          delayMs: plan.delayMs,
          nextAttempt: plan.nextAttempt,
        }),
      );
      log.info({ ...messageLogFields(raw, queue), attempt, tier: plan.tier.name }, 'retry scheduled');
      return DeliveryOutcome.retried;
    }
  }
  await publisher.publish(
    deadLetterMessage(raw, {
      ...context,
      deadLetterExchange: topology.exchanges.deadLetters,
      maxBodyBytes: publisher.maxMessageBytes,
    }),
  );
  log.warn({ ...messageLogFields(raw, queue), attempt, errorClass, err: error }, 'message dead-lettered');
  return DeliveryOutcome.deadLettered;
}
