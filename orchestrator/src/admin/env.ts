// What every admin route can rely on: the signed-in actor and the shared dependencies.
import type { AmqpConnectionManager, Topology } from '@sagaport/rabbitmq';
import type { AdminRole, DatabaseHandle } from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';
import type { SagaEngine } from '../saga/engine.js';
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

/** Hono environment of the admin API: `c.get('actor')` is set on every authenticated route. */
export interface AdminEnv {
  Variables: {
    actor: Actor;
  };
}

/** What the admin API needs from the orchestrator process. */
export interface AdminDeps {
  readonly database: DatabaseHandle;
  readonly broker: AmqpConnectionManager;
  readonly topology: Topology;
  readonly engine: SagaEngine;
  readonly settings: AdminSettings;
  readonly logger: Logger;
}
