// The auth router: session routes (public) and user management (behind the session gate).
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';
import { httpErrorsAsProblems } from './errors.js';
import { sessionRoutes } from './login.js';
import { LoginRateLimiter } from './rate-limit.js';
import { userRoutes } from './users.js';

/** POST /auth/login, POST /auth/logout, GET /auth/me, GET /users, POST /users. */
export function authRoutes(deps: AdminDeps) {
  // Made on first login: building the routers must read no dependency (the OpenAPI CLI passes none).
  let limiter: LoginRateLimiter | undefined;
  const loginLimiter = () => (limiter ??= new LoginRateLimiter(deps.settings.loginAttemptsPer15Min));
  const router = adminRouter().route('/', sessionRoutes(deps, loginLimiter)).route('/', userRoutes(deps));
  router.onError(httpErrorsAsProblems);
  return router;
}
