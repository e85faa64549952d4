// Every table of the Sagaport database; drizzle-kit reads this file to generate migrations.
export { inbox, messageCrashes, outbox } from './messaging.js';
export {
  checkoutRequests,
  foldedBusinessKeys,
  sagaEvents,
  sagaInstances,
  sagaSchema,
  SagaStatus,
  terminalStatuses,
} from './saga.js';
export { orders, ordersSchema } from './orders.js';
export { inventorySchema, products, reservations } from './inventory.js';
export { charges, paymentsSchema, providerCalls, refunds } from './payments.js';
export { shipments, shippingSchema } from './shipping.js';
export { DeadLetterStatus, deadLetters, messageRetries } from './dead-letters.js';
export {
  AdminRole,
  adminSchema,
  adminSessions,
  adminUsers,
  apiTokens,
  auditLog,
  loginThrottle,
  replayBudget,
  ReplayJobStatus,
  replayJobItems,
  replayJobs,
} from './admin.js';
export {
  orderHistory,
  orderHistoryEvents,
  parkedEvents,
  projectionCheckpoints,
  projectionRebuilds,
  projectionsSchema,
  salesByMinute,
  salesOrders,
} from './projections.js';
