// What the consumer does with a failed delivery: schedule a retry in a delay tier, or dead-letter it.
import type { ConsumeMessage } from 'amqplib';
import { DeliveryOutcome, type ConsumerOptions } from './consumer-options.js';
import { deadLetterMessage, retryMessage } from './dead-letter.js';
import { attemptOf } from './envelope.js';
import { FailureClass } from './errors.js';
import type { Logger } from './logger.js';
import { planRetry } from './retry.js';

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
  errorClass: FailureClass,
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
      log.info(
        { queue, type: raw.properties.type as unknown, attempt, tier: plan.tier.name },
        'retry scheduled',
      );
      return DeliveryOutcome.retried;
    }
  }
  await publisher.publish(
    deadLetterMessage(raw, { ...context, deadLetterExchange: topology.exchanges.deadLetters }),
  );
  log.warn(
    { queue, type: raw.properties.type as unknown, attempt, errorClass, err: error },
    'message dead-lettered',
  );
  return DeliveryOutcome.deadLettered;
}
