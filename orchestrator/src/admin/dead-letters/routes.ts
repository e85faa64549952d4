// PLACEHOLDER (main author replaces): dead letters and replay jobs.
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';

export function deadLetterRoutes(_deps: AdminDeps) {
  return adminRouter();
}
