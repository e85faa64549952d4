// PLACEHOLDER (helper A replaces): the audit log.
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';

export function auditRoutes(_deps: AdminDeps) {
  return adminRouter();
}
