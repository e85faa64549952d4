// Public surface of @sagaport/rabbitmq: topology, contracts, envelope, publisher and consumer.
export {
  buildTopology,
  declareTopology,
  deleteTopology,
  routeOf,
  defaultRetryTiers,
  defaultDeliveryLimit,
} from './topology.js';
export type {
  Topology,
  TopologyOptions,
  RetryTier,
  ExchangeDeclaration,
  QueueDeclaration,
  BindingDeclaration,
} from './topology.js';
export { toDefinitions } from './definitions.js';
export * from './contracts/index.js';
export {
  Header,
  FAILURE_HEADERS,
  EnvelopeProperties,
  buildMessage,
  parseInbound,
  attemptOf,
  formatIssues,
} from './envelope.js';
export type { OutgoingMessage, BuildMessageInput, InboundMessage } from './envelope.js';
export {
  EVENT_BATCH_TYPE,
  EVENT_COUNT_HEADER,
  EVENT_BATCH_MAX_EVENTS,
  EVENT_BATCH_MAX_BYTES,
  EventBatchBody,
  batchEvents,
  separatelyRoutedEvents,
  unpackEvents,
} from './event-batch.js';
export type { StreamMessage, StreamRawEvent } from './event-batch.js';
export {
  MESSAGE_BATCH_TYPE,
  MESSAGE_COUNT_HEADER,
  MESSAGE_BATCH_MAX_MESSAGES,
  MESSAGE_BATCH_MAX_BYTES,
  MessageBatchBody,
  batchByQueue,
  singleQueueRoutes,
  unpackMessages,
} from './message-batch.js';
export {
  FailureClass,
  TransientError,
  PermanentError,
  InvalidJsonError,
  MessageTooLargeError,
  UnknownMessageTypeError,
  ContractViolationError,
  BusinessRefusal,
  classifyError,
} from './errors.js';
export { connectBroker, waitForBroker } from './connection.js';
export { readyMessages } from './queue-depth.js';
export type { AmqpConnectionManager, ConnectOptions } from './connection.js';
export { ConfirmPublisher, PublishError } from './publisher.js';
export { PublishPump } from './publish-pump.js';
export type { PublisherOptions } from './publisher.js';
export { Consumer, DeliveryOutcome } from './consumer.js';
export {
  CrashLoopError,
  defaultCrashLimit,
  isSuspect,
  MemoryCrashLedger,
  SuspectLane,
  suspectKey,
} from './suspects.js';
export type { CrashLedger, SuspectLaneOptions } from './suspects.js';
export type {
  BatchHandler,
  ConsumerOptions,
  DeliveryTracer,
  DependencyGate,
  RejectedMessage,
} from './consumer.js';
export { planRetry } from './retry.js';
export type { RetryPolicy, RetryPlan } from './retry.js';
export { brokerUrls, defaultMaxMessageBytes, loadBrokerConfig, parseRetryTiers } from './config.js';
export type { BrokerConfig } from './config.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { Semaphore } from './semaphore.js';
