// Queues (broker state) and the audit log.
import { api, unwrap } from './client.js';
import type { AuditEntry, AuditQuery, Page, QueueList } from './types.js';

export function fetchQueues(): Promise<QueueList> {
  return unwrap(api.GET('/api/admin/queues'));
}

export type { AuditQuery };

export function listAudit(query: AuditQuery): Promise<Page<AuditEntry>> {
  return unwrap(api.GET('/api/admin/audit', { params: { query } }));
}
