// What the timeout scanner asks the broker before it resends: is the step's command, or its reply, still queued?
import {
  commandContracts,
  readyMessages,
  workerOf,
  type AmqpConnectionManager,
  type Topology,
} from '@sagaport/rabbitmq';

/** How long a queue probe may take; a broker that does not answer by then tells nothing. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The ready messages ahead of a command of a given type: in its worker's command queue plus the
 * replies queue (a reply waiting there holds its saga as much as a queued command). Undefined
 * when unknown (not a command type, no connection, no answer within 2 s): the deadline is then
 * not held.
 */
export function queuedAhead(broker: AmqpConnectionManager, topology: Topology) {
  return async (type: string): Promise<number | undefined> => {
    if (!(type in commandContracts)) return undefined;
    const queue = topology.queues.commands[workerOf(type as keyof typeof commandContracts)];
    let timer: NodeJS.Timeout | undefined;
    const depths = await Promise.race([
      Promise.all([readyMessages(broker, queue), readyMessages(broker, topology.queues.replies)]),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!depths) return undefined;
    const [commands, replies] = depths;
    return commands === undefined && replies === undefined ? undefined : (commands ?? 0) + (replies ?? 0);
  };
}
