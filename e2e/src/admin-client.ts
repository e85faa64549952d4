// A signed-in client of the admin API, for end-to-end tests.

/** Credentials of the first operator the orchestrator creates from ADMIN_EMAIL / ADMIN_PASSWORD. */
export const testOperator = { email: 'operator@e2e.sagaport', password: 'correct horse battery staple' };

/** The env that makes the orchestrator create {@link testOperator} on first start. */
export const operatorEnv = { ADMIN_EMAIL: testOperator.email, ADMIN_PASSWORD: testOperator.password };

export interface AdminClient {
  get<T>(path: string): Promise<T>;
  /** POSTs `body`; returns the status and the parsed JSON answer (problem details on errors). */
  post<T>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** Logs in at the orchestrator on `port` and returns a client carrying the session and CSRF token. */
export async function adminLogin(port: number, credentials = testOperator): Promise<AdminClient> {
  const base = `http://127.0.0.1:${port}/api/admin`;
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    async get<T>(path: string) {
      const response = await fetch(`${base}${path}`, { headers: { cookie } });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async post<T>(path: string, body: unknown = {}) {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}
