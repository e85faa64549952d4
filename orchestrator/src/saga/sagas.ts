// The sagas this orchestrator runs: every definition, registered once. Adding a saga adds one line here.
import { cancellationSaga } from './cancellation-saga.js';
import { checkoutSaga } from './checkout-saga.js';
import { SagaRegistry } from './registry.js';

/** The registry the orchestrator, the admin API and the console's filters read. */
export const sagaRegistry = new SagaRegistry().register(checkoutSaga).register(cancellationSaga);
