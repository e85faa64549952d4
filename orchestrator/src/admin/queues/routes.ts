// PLACEHOLDER (helper B replaces): queues.
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';

export function queueRoutes(_deps: AdminDeps) {
  return adminRouter();
}
