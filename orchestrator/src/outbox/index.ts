// The outbox's publishing side (`@sagaport/orchestrator/outbox`): the relay and the after-commit dispatcher.
export { OutboxRelay, retryDelayMs, toMessage } from './relay.js';
export type { RelayOptions } from './relay.js';
export { OutboxDispatcher } from './dispatcher.js';
export type { DispatcherOptions } from './dispatcher.js';
