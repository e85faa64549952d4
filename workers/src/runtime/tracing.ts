// The span of a worker's effect: one per command, under the command's consume span.
import { inSpan } from '@sagaport/runtime';
import type { CommandDelivery } from './messages.js';

/** Runs one command's effect in a span `effect <command type>`; call only when tracing is enabled. */
export function traceEffect<T>(
  command: CommandDelivery,
  sagaId: string,
  effect: () => Promise<T>,
): Promise<T> {
  return inSpan(
    `effect ${command.type}`,
    command.headers,
    {
      'saga.id': sagaId,
      'saga.step': command.type.split('.')[0]!,
      'messaging.message.id': command.messageId,
      'messaging.message.conversation_id': sagaId,
    },
    effect,
  );
}
