// Public surface of @sagaport/db: schema, client factory, migrations, outbox and inbox helpers.
export { DEFAULT_DATABASE_URL, loadDbConfig } from './config.js';
export type { DbConfig } from './config.js';
export { createDatabase } from './client.js';
export type { CreateDatabaseOptions, Database, DatabaseHandle, DbExecutor, Transaction } from './client.js';
export { MIGRATIONS_FOLDER, migrateDatabase } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export {
  AdminRole,
  adminSchema,
  adminSessions,
  adminUsers,
  apiTokens,
  auditLog,
  loginThrottle,
  DeadLetterStatus,
  deadLetters,
  messageRetries,
  replayBudget,
  ReplayJobStatus,
  replayJobItems,
  replayJobs,
  charges,
  checkoutRequests,
  inbox,
  inventorySchema,
  messageCrashes,
  orders,
  ordersSchema,
  outbox,
  paymentsSchema,
  products,
  providerCalls,
  refunds,
  reservations,
  foldedBusinessKeys,
  sagaEvents,
  sagaInstances,
  sagaSchema,
  SagaStatus,
  shipments,
  shippingSchema,
  terminalStatuses,
} from './schema/index.js';
export {
  OUTBOX_CHANNEL,
  claimOutboxBatch,
  deferOutboxMessages,
  deleteOutboxMessages,
  enqueueOutbox,
  enqueueOutboxForDispatch,
  insertOutboxRows,
  INSERT_OUTBOX,
  OUTBOX_RECORD,
  OUTBOX_IDS,
  OUTBOX_RETURNING,
  outboxRowsJson,
  withOutboxIds,
  outboxBacklog,
} from './outbox.js';
export type { NewOutboxMessage, OutboxBacklog, OutboxMessage } from './outbox.js';
export {
  asInboxSeenBefore,
  claimInbox,
  claimInboxBatch,
  inboxSeenBeforeMarker,
  claimNewInboxBatch,
  readInboxBatch,
  InboxSeenBefore,
  storeInboxReplies,
  storeInboxReply,
} from './inbox.js';
export type { BatchInboxClaim, InboxClaim, InboxDelivery, InboxReply, SqlExecutor } from './inbox.js';
export { postgresCrashLedger } from './crash-ledger.js';
export type { PostgresCrashLedger } from './crash-ledger.js';
export { DatabaseGate, isDatabaseOutage } from './outage.js';
export type { DatabaseGateOptions } from './outage.js';
