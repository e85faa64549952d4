// Dead letters and replay jobs: list, groups, detail, validate, replay, discard, bulk replay.
import { api, unwrap } from './client.js';
import type {
  DeadLetterDetail,
  DeadLetterQuery,
  DeadLetterFacets,
  DeadLetterGroup,
  DeadLetterSummary,
  Page,
  BulkReplayPreview,
  ReplayAccepted,
  ReplayPreview,
  ReplayJob,
  ReplayJobDetail,
  ReplayJobItemStatus,
  ValidationResult,
} from './types.js';

export function listDeadLetters(query: DeadLetterQuery): Promise<Page<DeadLetterSummary>> {
  return unwrap(api.GET('/api/admin/dead-letters', { params: { query } }));
}

export async function listDeadLetterGroups(query: DeadLetterQuery): Promise<readonly DeadLetterGroup[]> {
  const page: { items: readonly DeadLetterGroup[] } = await unwrap(
    api.GET('/api/admin/dead-letters/groups', { params: { query } }),
  );
  return page.items;
}

export function fetchDeadLetterFacets(): Promise<DeadLetterFacets> {
  return unwrap(api.GET('/api/admin/dead-letters/facets'));
}

export function fetchDeadLetter(id: string): Promise<DeadLetterDetail> {
  return unwrap(api.GET('/api/admin/dead-letters/{id}', { params: { path: { id } } }));
}

/** Checks an edited body against the message's contract; changes nothing. */
export function validateDeadLetterBody(id: string, body: unknown): Promise<ValidationResult> {
  return unwrap(
    api.POST('/api/admin/dead-letters/{id}/validate', { params: { path: { id } }, body: { body } }),
  );
}

export type { DeadLetterQuery };

export interface ReplayRequest {
  /** An edited body; the original is replayed when absent. */
  readonly body?: unknown;
  readonly reason?: string;
}

export function replayDeadLetter(id: string, request: ReplayRequest = {}): Promise<ReplayAccepted> {
  return unwrap(api.POST('/api/admin/dead-letters/{id}/replay', { params: { path: { id } }, body: request }));
}

export function discardDeadLetter(id: string, reason?: string): Promise<DeadLetterSummary> {
  return unwrap(
    api.POST('/api/admin/dead-letters/{id}/discard', {
      params: { path: { id } },
      body: reason ? { reason } : {},
    }),
  );
}

/** What a bulk replay covers: chosen dead letters, or every open one of a group. */
export type ReplaySelection = { readonly ids: string[] } | { readonly fingerprint: string };

export function startReplayJob(selection: ReplaySelection, ratePerSecond?: number): Promise<ReplayJob> {
  return unwrap(
    api.POST('/api/admin/replay-jobs', {
      body: { ...selection, ...(ratePerSecond ? { ratePerSecond } : {}) },
    }),
  );
}

/** What replaying one dead letter (optionally with an edited body) would do; changes nothing. */
export function previewReplay(id: string, edited?: { body: unknown }): Promise<ReplayPreview> {
  return unwrap(
    api.POST('/api/admin/dead-letters/{id}/replay-preview', { params: { path: { id } }, body: edited ?? {} }),
  );
}

/** A dry run of a bulk replay: what its job would replay, skip or fail; changes nothing. */
export function previewBulkReplay(selection: ReplaySelection): Promise<BulkReplayPreview> {
  return unwrap(api.POST('/api/admin/dead-letters/replay-preview', { body: selection }));
}

export async function listReplayJobs(): Promise<readonly ReplayJob[]> {
  const page: { items: readonly ReplayJob[] } = await unwrap(api.GET('/api/admin/replay-jobs'));
  return page.items;
}

/** Which page of a job's items to read: after `cursor`, only those with `status`. */
export interface ReplayJobItemsQuery {
  readonly cursor?: string;
  readonly status?: ReplayJobItemStatus;
  readonly limit?: number;
}

/** A job's progress and one page of its items. */
export function fetchReplayJob(id: string, query: ReplayJobItemsQuery = {}): Promise<ReplayJobDetail> {
  return unwrap(api.GET('/api/admin/replay-jobs/{id}', { params: { path: { id }, query } }));
}

export function cancelReplayJob(id: string): Promise<ReplayJob> {
  return unwrap(api.POST('/api/admin/replay-jobs/{id}/cancel', { params: { path: { id } } }));
}
