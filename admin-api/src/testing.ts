// Test support for the admin API: sessions, tokens and dead letters written straight into the database, and
// the pieces the orchestrator's integration tests of the mounted API check directly.
export { createTestSession, sessionClient, SESSION_COOKIE } from './testing/session.js';
export type { TestSession } from './testing/session.js';
export { createTestToken } from './testing/tokens.js';
export { insertDeadLetter } from './testing/dead-letters.js';
export { auditConditions } from './audit/routes.js';
export { hashPassword, verifyPassword } from './auth/password.js';
export { hashToken } from './auth/session.js';
export { readDeadLetter } from './dead-letters/read.js';
export { whereOf } from './dead-letters/queries.js';
export type { Change } from './live/changes.js';
export { cursor } from './openapi.js';
export type { Queue } from './queues/routes.js';
export { searchCondition } from './sagas/list.js';
export { selectSummaries } from './sagas/query.js';
export type { SagaDeadLetter, SagaDetail, SagaStats, SagaSummary, TimelineEntry } from './sagas/schemas.js';
