// The auth router: session routes (public) and user management (behind the session gate).
import type { AdminDeps } from '../env.js';
import { adminRouter } from '../openapi.js';
import { httpErrorsAsProblems } from '@sagaport/runtime';
import { accountRoutes } from './account.js';
import { TrustedProxies } from './client-address.js';
import { sessionRoutes, type LoginDefences } from './login.js';
import { LoginThrottle } from './throttle.js';
import { userAdminRoutes } from './user-admin.js';
import { userRoutes } from './users.js';

/** The session routes, the caller's own account, and the users (managed by operators). */
export function authRoutes(deps: AdminDeps) {
  // Made on first login: building the routers must read no dependency (the OpenAPI CLI passes none).
  let built: LoginDefences | undefined;
  const defences = () =>
    (built ??= {
      throttle: new LoginThrottle(deps.database.db, {
        perAccount: deps.settings.loginAttemptsPerAccount,
        perAddress: deps.settings.loginAttemptsPerAddress,
      }),
      proxies: new TrustedProxies(deps.settings.trustedProxies),
    });
  const router = adminRouter()
    .route('/', sessionRoutes(deps, defences))
    .route('/', accountRoutes(deps, defences))
    .route('/', userRoutes(deps))
    .route('/', userAdminRoutes(deps));
  router.onError(httpErrorsAsProblems);
  return router;
}
