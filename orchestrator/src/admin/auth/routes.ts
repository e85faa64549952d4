// PLACEHOLDER (helper A replaces): login, logout, me, users.
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';

export function authRoutes(_deps: AdminDeps) {
  return adminRouter();
}
