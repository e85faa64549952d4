// Sign-in, sign-out, the current session and console users.
import { api, clearCsrfToken, unwrap } from './client.js';
import type { Role, Session, User } from './types.js';

/** Signs in; the session cookie is set by the server, the CSRF token kept by the client. */
export function login(email: string, password: string): Promise<Session> {
  return unwrap(api.POST('/api/admin/auth/login', { body: { email, password } }));
}

/** The signed-in user, or an ApiError 401 when there is no session. */
export function fetchSession(): Promise<Session> {
  return unwrap(api.GET('/api/admin/auth/me'));
}

export async function logout(): Promise<void> {
  await unwrap(api.POST('/api/admin/auth/logout'));
  clearCsrfToken();
}

export async function listUsers(): Promise<readonly User[]> {
  const page: { items: readonly User[] } = await unwrap(api.GET('/api/admin/users'));
  return page.items;
}

export interface NewUser {
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly password: string;
}

export function createUser(user: NewUser): Promise<User> {
  return unwrap(api.POST('/api/admin/users', { body: user }));
}
