// The admin API's shapes, named for the console: all of them come from the generated OpenAPI schema.
import type { components, paths } from './schema.js';

type Schemas = components['schemas'];
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type GetAnswer<P extends keyof paths> = paths[P] extends { get: { responses: { 200: infer R } } }
  ? Json<R>
  : never;
type PostAnswer<P extends keyof paths, S extends number> = paths[P] extends {
  post: { responses: Record<S, infer R> };
}
  ? Json<R>
  : never;
type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

export type Role = Schemas['User']['role'];
export type User = Schemas['User'];
export type Session = Schemas['Session'];
export type FieldError = Schemas['FieldError'];

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export type DeadLetterStatus = Schemas['DeadLetterSummary']['status'];
export type DeadLetterSummary = Schemas['DeadLetterSummary'];
export type DeadLetterDetail = Schemas['DeadLetterDetail'];
export type DeadLetterGroup = Schemas['DeadLetterGroup'];
export type DeadLetterFacets = GetAnswer<'/api/admin/dead-letters/facets'>;
export type DeadLetterQuery = Query<'/api/admin/dead-letters'>;
export type ValidationResult = PostAnswer<'/api/admin/dead-letters/{id}/validate', 200>;
export type ReplayAccepted = PostAnswer<'/api/admin/dead-letters/{id}/replay', 202>;
export type ReplayPreview = Schemas['ReplayPreview'];
export type BulkReplayPreview = Schemas['BulkReplayPreview'];

export type ReplayJobStatus = Schemas['ReplayJob']['status'];
export type ReplayJob = Schemas['ReplayJob'];
export type ReplayJobItem = Schemas['ReplayJobItem'];
export type ReplayJobItemStatus = ReplayJobItem['status'];
export type ReplayJobSelector = Schemas['ReplayJobSelector'];
export type ReplayJobDetail = GetAnswer<'/api/admin/replay-jobs/{id}'>;

export type SagaStatus = Schemas['SagaStatus'];
export type SagaSummary = Schemas['SagaSummary'];
export type SagaDefinition = Schemas['SagaDefinition'];
export type SagaDetail = Schemas['SagaDetail'];
export type SagaView = GetAnswer<'/api/admin/sagas/{id}'>;
export type SagaStats = Schemas['SagaStats'];
export type SalesReport = Schemas['SalesReport'];
export type SagaQuery = Query<'/api/admin/sagas'>;
export type TimelineEntry = Schemas['TimelineEntry'];

export type Queue = Schemas['Queue'];
export type QueueRole = Queue['role'];
export type QueueList = Schemas['QueueList'];

export type AuditEntry = Schemas['AuditEntry'];
export type AuditQuery = Query<'/api/admin/audit'>;

export type SessionInfo = Schemas['SessionInfo'];
export type UserUpdate = Schemas['UserUpdate'];
export type ApiToken = Schemas['ApiToken'];
export type NewApiToken = Schemas['NewApiToken'];
export type CreatedApiToken = Schemas['CreatedApiToken'];

export type Projection = Schemas['Projection'];
/** The generator marks the component nullable because `Projection.rebuild` is; a rebuild itself never is. */
export type ProjectionRebuild = NonNullable<Schemas['ProjectionRebuild']>;
export type ParkedEvent = Schemas['ParkedEvent'];
