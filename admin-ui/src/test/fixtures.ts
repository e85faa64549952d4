// Sample admin API objects for component tests.
import type { DeadLetterDetail, DeadLetterGroup, DeadLetterSummary, SagaSummary } from '../api/types.js';

export const orderCreateBody = {
  orderId: '3f1c7a52-8d4e-4b7a-9a51-1e2f3a4b5c6d',
  customerId: 'cust-1',
  email: 'ada@example.com',
  items: [{ sku: 'SKU-001', quantity: '2', unitPriceCents: 1250 }],
  currency: 'EUR',
  totalCents: 2500,
};

export function deadLetterSummary(overrides: Partial<DeadLetterSummary> = {}): DeadLetterSummary {
  return {
    id: 'dl-1',
    deadLetterQueue: 'order.commands.dlq',
    originalQueue: 'order.commands',
    messageId: 'a1b2c3d4-0000-4000-8000-000000000001',
    messageType: 'order.create',
    sagaId: 'b1b2c3d4-0000-4000-8000-000000000002',
    errorClass: 'permanent',
    errorName: 'ContractViolationError',
    errorMessage: 'payload of order.create breaks its contract',
    attempts: 1,
    firstFailedAt: '2025-03-01T10:00:00.000Z',
    lastFailedAt: '2025-03-01T10:00:00.000Z',
    failedBy: 'order-worker',
    fingerprint: 'f00dfeedcafe0001',
    status: 'open',
    archivedAt: '2025-03-01T10:00:01.000Z',
    replayedAt: null,
    replayedBy: null,
    replayMessageId: null,
    ...overrides,
  };
}

export function deadLetterDetail(overrides: Partial<DeadLetterDetail> = {}): DeadLetterDetail {
  return {
    ...deadLetterSummary(),
    originalExchange: 'sagaport.commands',
    originalRoutingKey: 'order.create',
    headers: { 'x-attempt': 1, 'x-error-class': 'permanent' },
    properties: { messageId: 'a1b2c3d4-0000-4000-8000-000000000001', type: 'order.create' },
    body: JSON.stringify(orderCreateBody),
    bodyEncoding: 'utf8',
    bodyJson: orderCreateBody,
    errorStack: 'ContractViolationError: payload of order.create breaks its contract\n    at parseInbound',
    deathHistory: [],
    replayOf: null,
    replayEdited: false,
    discardedAt: null,
    discardedBy: null,
    discardReason: null,
    laterFailures: [],
    saga: { id: 'b1b2c3d4-0000-4000-8000-000000000002', status: 'running', currentStep: 'createOrder' },
    replayable: { ok: true },
    ...overrides,
  };
}

export function deadLetterGroup(overrides: Partial<DeadLetterGroup> = {}): DeadLetterGroup {
  return {
    fingerprint: 'f00dfeedcafe0001',
    originalQueue: 'order.commands',
    messageType: 'order.create',
    errorClass: 'permanent',
    title: 'payload of order.create breaks its contract',
    count: 3,
    openCount: 2,
    firstSeen: '2025-03-01T10:00:00.000Z',
    lastSeen: '2025-03-01T11:00:00.000Z',
    sampleId: 'dl-1',
    ...overrides,
  };
}

export function sagaSummary(overrides: Partial<SagaSummary> = {}): SagaSummary {
  return {
    id: 'b1b2c3d4-0000-4000-8000-000000000002',
    type: 'checkout',
    status: 'running',
    currentStep: 'createOrder',
    businessKeys: {
      orderId: '3f1c7a52-8d4e-4b7a-9a51-1e2f3a4b5c6d',
      customerId: 'cust-1',
      email: 'ada@example.com',
    },
    orderId: '3f1c7a52-8d4e-4b7a-9a51-1e2f3a4b5c6d',
    customerId: 'cust-1',
    email: 'ada@example.com',
    totalCents: 2500,
    currency: 'EUR',
    createdAt: '2025-03-01T10:00:00.000Z',
    updatedAt: '2025-03-01T10:00:00.000Z',
    endedAt: null,
    deadlineAt: '2025-03-01T10:00:10.000Z',
    failureReason: null,
    stuck: false,
    openDeadLetters: 1,
    ...overrides,
  };
}
