// Public surface of @sagaport/runtime: the message path every Sagaport process shares.
export { OutboxDispatcher } from './outbox/dispatcher.js';
export type { DispatcherOptions } from './outbox/dispatcher.js';
export { OutboxRelay, retryDelayMs, toMessage } from './outbox/relay.js';
export type { RelayOptions } from './outbox/relay.js';
export { healthRoutes, readinessRoutes } from './observability/health.js';
export type { ReadinessCheck } from './observability/health.js';
export { createLogger } from './observability/logger.js';
export type { Logger } from './observability/logger.js';
export { serveOperationalEndpoints } from './observability/serve.js';
export { collectProcessMetrics, EVENT_LOOP_SAMPLE_MS } from './observability/process-metrics.js';
export { createConsumerMetrics } from './observability/consumer-metrics.js';
export type { ConsumerMetrics } from './observability/consumer-metrics.js';
export { TableMaintenance } from './maintenance/table-maintenance.js';
export type { TableMaintenanceMode, TableMaintenanceOptions } from './maintenance/table-maintenance.js';
export { pipelinedTransaction, settle, TransactionAborted } from './database/pipelined-transaction.js';
export type { Commit, Settled } from './database/pipelined-transaction.js';
export { recordSpans, startTracing, tracesExporters } from './tracing/sdk.js';
export type { RecordedSpan, TracingHandle } from './tracing/sdk.js';
export { setTracingEnabled, tracingEnabled } from './tracing/state.js';
export {
  contextOf,
  deliveryTracer,
  injectInto,
  inSpan,
  messageAttributes,
  traceIdsOf,
  traceSend,
  tracer,
} from './tracing/messaging.js';
export { logMixin } from './observability/log-context.js';
export { RepeatedLog } from './observability/repeated-log.js';
export { observePublisher } from './observability/publisher-metrics.js';
export { ProjectionRunner } from './projections/runner.js';
export type { ProjectionRunnerOptions } from './projections/runner.js';
export { measureLag } from './projections/lag.js';
export type { ProjectionLag } from './projections/lag.js';
export type { ParkPolicy, Projection, ProjectionSql, StreamEvent } from './projections/projection.js';
export { isRebuildable, ProjectionRebuild } from './projections/rebuild.js';
export type { ProjectionRebuildOptions } from './projections/rebuild.js';
export {
  failRebuild,
  latestRebuilds,
  readRebuild,
  RebuildAlreadyRunning,
  RebuildState,
} from './projections/rebuild-store.js';
export type { RebuildStatus } from './projections/rebuild-store.js';
export { shadowOf } from './projections/shadow.js';
export { createProjectionMetrics } from './projections/metrics.js';
export type { ProjectionMetrics } from './projections/metrics.js';
export {
  countOpenParked,
  listParked,
  readCheckpoint,
  readCheckpoints,
  releaseLease,
  setProjectionState,
  takeLease,
} from './projections/store.js';
export type { Checkpoint, ParkedEvent, ProjectionState } from './projections/store.js';
export { offsetOf, readRawEvent, eventsOf, STREAM_OFFSET_HEADER, streamTail } from './projections/stream.js';
export type { StreamTail } from './projections/stream.js';
export { SharedStreamReader } from './projections/stream-reader.js';
export type { StreamDelivery, StreamSubscriber, StreamSubscription } from './projections/stream-reader.js';
// The HTTP pieces both APIs (checkout and admin) share: problem+json, body limits, security headers, OpenAPI documents.
export {
  fieldErrors,
  httpErrorsAsProblems,
  invalidRequestHook,
  problem,
  ProblemSchema,
  problemResponse,
  problems,
  routeProblem,
} from './http/problem.js';
export type { FieldError, Problem, ValidationTarget } from './http/problem.js';
export { bodyLimits } from './http/body-limits.js';
export { requestLogFields, setRequestId } from './http/request-id.js';
export type { BodyLimitRule } from './http/body-limits.js';
export {
  contentSecurityPolicy,
  contentSecurityPolicyWith,
  securityHeaders,
} from './http/security-headers.js';
export { derivedOperationId, openApiDocumentOf } from './http/openapi-document.js';
export type {
  OpenApiDocument,
  OpenApiDocumentHeader,
  OpenApiDocumentOptions,
  SecurityRequirement,
} from './http/openapi-document.js';
