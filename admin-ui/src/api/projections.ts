// Projections: status with lag and the latest rebuild, pause/resume, rebuild, parked events and their replay or skip.
import { api, unwrap } from './client.js';
import type { ParkedEvent, Projection, ProjectionRebuild } from './types.js';

export async function listProjections(): Promise<readonly Projection[]> {
  const page: { items: readonly Projection[] } = await unwrap(api.GET('/api/admin/projections'));
  return page.items;
}

export function pauseProjection(name: string): Promise<{ name: string; state: string }> {
  return unwrap(api.POST('/api/admin/projections/{name}/pause', { params: { path: { name } } }));
}

export function resumeProjection(name: string): Promise<{ name: string; state: string }> {
  return unwrap(api.POST('/api/admin/projections/{name}/resume', { params: { path: { name } } }));
}

export async function rebuildProjection(name: string): Promise<ProjectionRebuild> {
  const started = await unwrap(
    api.POST('/api/admin/projections/{name}/rebuild', { params: { path: { name } } }),
  );
  return started!;
}

export async function listParkedEvents(name: string): Promise<readonly ParkedEvent[]> {
  const page: { items: readonly ParkedEvent[] } = await unwrap(
    api.GET('/api/admin/projections/{name}/parked', { params: { path: { name }, query: {} } }),
  );
  return page.items;
}

export function resolveParkedEvent(
  name: string,
  id: number,
  action: 'replay' | 'skip',
): Promise<ParkedEvent> {
  const path = { name, id };
  return action === 'replay'
    ? unwrap(api.POST('/api/admin/projections/{name}/parked/{id}/replay', { params: { path } }))
    : unwrap(api.POST('/api/admin/projections/{name}/parked/{id}/skip', { params: { path } }));
}
