// What every command needs: the client built from the global options, and whether to print JSON.
import { InvalidArgumentError, type Command } from 'commander';
import { connectionFrom, createAdminClient, type AdminClient } from './client.js';
import type { components } from './schema.js';

/** Options given before or after any command. */
export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly json?: boolean;
}

export interface CommandContext {
  readonly api: AdminClient;
  readonly json: boolean;
}

/** The context of the command being run (its options merged with the global ones). */
export function contextOf(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  return { api: createAdminClient(connectionFrom(options)), json: options.json === true };
}

export type Schemas = components['schemas'];

/** Parses a positive integer option, or fails as a usage error naming the flag. */
export function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${flag} must be a positive integer, not "${value}"`);
    }
    return n;
  };
}
