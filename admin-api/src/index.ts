// Public surface of @sagaport/admin-api: the admin API the orchestrator mounts at /api/admin, and what runs beside it.
export { adminBodyLimits, createAdminApp } from './app.js';
export { adminDocument, adminOpenApiDocument, adminSecuritySchemes } from './document.js';
export type { Actor, AdminDeps, AdminEnv, Credential } from './env.js';
export {
  keyNames,
  OperatorAction,
  SagaStatus,
  sagaTypeNames,
  stepNames,
  terminalStatuses,
} from './orchestration.js';
export type {
  AlsoRecord,
  AwaitedCommandView,
  OperatorActions,
  OperatorDecision,
  ProjectionRebuilds,
  SagaCatalog,
  SagaCatalogEntry,
  SagaStateView,
} from './orchestration.js';
export { adminSettingsSchema, defaultAdminSettings } from './settings.js';
export type { AdminSettings } from './settings.js';
export { createAdminDatabase, isStatementTimeout } from './database.js';
export { ensureBootstrapOperator } from './auth/bootstrap.js';
export type { BootstrapOutcome } from './auth/bootstrap.js';
export { parseTrustedProxies } from './auth/client-address.js';
export { DeadLetterArchiver } from './dead-letters/archiver.js';
export type { ArchiverOptions } from './dead-letters/archiver.js';
export { REPLAY_JOBS_CHANNEL } from './dead-letters/jobs.js';
export { ReplayJobRunner } from './dead-letters/runner.js';
export type { ReplayJobRunnerOptions } from './dead-letters/runner.js';
export { LiveHub } from './live/hub.js';
export type { LiveEvent, LiveHubOptions, LiveStats } from './live/hub.js';
export { fetchBrokerQueues, ManagementUnavailable } from './queues/management.js';
export type { BrokerQueue } from './queues/management.js';
