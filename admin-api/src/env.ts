// What every admin route can rely on: the signed-in actor and the shared dependencies.
import type { AmqpConnectionManager, Topology } from '@sagaport/rabbitmq';
import type { AdminRole, DatabaseHandle } from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';
import type { Projection } from '@sagaport/runtime';
import type { LiveHub } from './live/hub.js';
import type { OperatorActions, ProjectionRebuilds, SagaCatalog } from './orchestration.js';
import type { AdminSettings } from './settings.js';

/** The user behind a request, as the session middleware found it. */
export interface Actor {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  /** What the request may do: the user's role, or for a token the lower of its scope and that role. */
  readonly role: AdminRole;
  /** The API token the request came with; absent for a console session. */
  readonly token?: { readonly id: string; readonly name: string };
}

/** How a request proved who it is: a console session (cookie plus CSRF token on mutations). */
export interface SessionCredential {
  readonly kind: 'session';
  /** The session's public id: the account page marks it and a password change keeps it. */
  readonly sessionId: string;
}

/** How a request proved who it is: an API token (`Authorization: Bearer`), no CSRF token needed. */
export interface TokenCredential {
  readonly kind: 'token';
  readonly tokenId: string;
}

/** Every kind of credential the admin API accepts. */
export type Credential = SessionCredential | TokenCredential;

/** The console session a request came with, if it came with one (not with an API token). */
export function sessionIdOf(credential: Credential): string | undefined {
  return credential.kind === 'session' ? credential.sessionId : undefined;
}

/** Hono environment of the admin API: `actor` and `credential` are set on every authenticated route. */
export interface AdminEnv {
  Variables: {
    actor: Actor;
    credential: Credential;
  };
}

/** What the admin API needs from the orchestrator process. */
export interface AdminDeps {
  readonly database: DatabaseHandle;
  readonly broker: AmqpConnectionManager;
  readonly topology: Topology;
  /** The operator actions on a saga (retry a step, compensate), carried out by the orchestrator's engine. */
  readonly operator: OperatorActions;
  /** The sagas the orchestrator runs: the saga type and step filters, the definitions listed. Read when the routers are built. */
  readonly sagas: SagaCatalog;
  readonly settings: AdminSettings;
  readonly logger: Logger;
  /** Live updates (the console's event stream); absent, GET /live answers 503 and nothing is signalled. */
  readonly live?: LiveHub;
  /** The projections this process can apply (a parked event's replay needs its projection). */
  readonly projections?: readonly Projection[];
  /** Runs projection rebuilds in the background; absent, POST /projections/{name}/rebuild answers 503. */
  readonly rebuilds?: ProjectionRebuilds;
}
