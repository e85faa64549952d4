// The typed admin API client: openapi-fetch over the generated schema, the CSRF header, problem+json as ApiError.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';
import type { FieldError } from './types.js';

/** An admin API error, from its RFC 9457 problem+json answer. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: readonly FieldError[] = [],
    /** Seconds from `Retry-After` (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }

  /** Builds the error from a failed response and its parsed body (problem+json, other JSON or text). */
  static from(response: Response, body: unknown): ApiError {
    const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const title =
      typeof problem.title === 'string' ? problem.title : response.statusText || `HTTP ${response.status}`;
    const detail =
      typeof problem.detail === 'string'
        ? problem.detail
        : typeof body === 'string' && body
          ? body
          : undefined;
    const errors = Array.isArray(problem.errors)
      ? problem.errors.filter(
          (e): e is FieldError =>
            typeof e === 'object' && e !== null && typeof (e as FieldError).field === 'string',
        )
      : [];
    const retryAfter = Number(response.headers.get('Retry-After'));
    return new ApiError(
      response.status,
      title,
      detail,
      errors,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

/** The CSRF token of the current session, from the last login or `GET /auth/me`. */
let csrfToken: string | undefined;

/** Forgets the session's CSRF token (after logout or a 401). */
export function clearCsrfToken(): void {
  csrfToken = undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const SESSION_PATHS = ['/api/admin/auth/login', '/api/admin/auth/me'];

/** Adds `X-CSRF-Token` to mutations and remembers the token from session answers. */
export const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
  async onResponse({ response, schemaPath }) {
    if (schemaPath === '/api/admin/auth/logout' || response.status === 401) csrfToken = undefined;
    if (!response.ok || !SESSION_PATHS.includes(schemaPath)) return undefined;
    const body = (await response.clone().json()) as { csrfToken?: unknown };
    if (typeof body.csrfToken === 'string') csrfToken = body.csrfToken;
    return undefined;
  },
};

/** Creates a client; tests pass their own `fetch` and base URL. */
export function createApiClient(options: { baseUrl?: string; fetch?: typeof fetch } = {}) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? globalThis.location?.origin ?? '',
    credentials: 'same-origin',
    // Looked up at call time, so a test's stubbed fetch is the one used.
    fetch: options.fetch ?? ((request: Request) => globalThis.fetch(request)),
  });
  client.use(csrfMiddleware);
  return client;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The client the console uses. */
export const api: ApiClient = createApiClient();

/** Returns the answer's data, or throws the problem as an ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw ApiError.from(response, error);
  return data as T;
}
