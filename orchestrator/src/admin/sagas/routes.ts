// PLACEHOLDER (helper B replaces): sagas.
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';

export function sagaRoutes(_deps: AdminDeps) {
  return adminRouter();
}
