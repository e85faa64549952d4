// Test helper: the package's migrated throwaway database (see testing.ts), named for this package.
import { createMigratedTestDatabase as create, type MigratedTestDatabase } from '../testing.js';

export type { MigratedTestDatabase } from '../testing.js';

/** Creates a fresh, migrated database with a pool of `poolMax`. */
export function createMigratedTestDatabase(poolMax = 8): Promise<MigratedTestDatabase> {
  return create(poolMax, 'sagaport-db-test');
}
