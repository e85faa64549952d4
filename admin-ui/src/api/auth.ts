// Sign-in, sign-out, the current session, one's own account and console users.
import { api, clearCsrfToken, unwrap } from './client.js';
import type { Role, Session, SessionInfo, User, UserUpdate } from './types.js';

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

/** Changes the signed-in user's password; the server ends their other sessions. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await unwrap(api.POST('/api/admin/account/password', { body: { currentPassword, newPassword } }));
}

export async function listOwnSessions(): Promise<readonly SessionInfo[]> {
  const list: { items: readonly SessionInfo[] } = await unwrap(api.GET('/api/admin/account/sessions'));
  return list.items;
}

export async function revokeOwnSession(sessionId: string): Promise<void> {
  await unwrap(api.DELETE('/api/admin/account/sessions/{sessionId}', { params: { path: { sessionId } } }));
}

/** Operators: another user's role or disabled mark. */
export function updateUser(id: string, update: UserUpdate): Promise<User> {
  return unwrap(api.PATCH('/api/admin/users/{id}', { params: { path: { id } }, body: update }));
}

export async function listUserSessions(id: string): Promise<readonly SessionInfo[]> {
  const list: { items: readonly SessionInfo[] } = await unwrap(
    api.GET('/api/admin/users/{id}/sessions', { params: { path: { id } } }),
  );
  return list.items;
}

export async function revokeUserSession(id: string, sessionId: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/admin/users/{id}/sessions/{sessionId}', { params: { path: { id, sessionId } } }),
  );
}
