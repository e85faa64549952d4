// Test helper: a migrated throwaway database with a drizzle handle, removed again after the file.
import { createDatabase, type DatabaseHandle } from '../client.js';
import { migrateDatabase } from '../migrate.js';
import { createTestDatabase } from '../testing.js';

/** A migrated test database, its connection, and the cleanup that closes and drops both. */
export interface MigratedTestDatabase extends DatabaseHandle {
  readonly url: string;
  dispose(): Promise<void>;
}

/** Creates a fresh database, applies every migration, and connects a pool of `poolMax`. */
export async function createMigratedTestDatabase(poolMax = 8): Promise<MigratedTestDatabase> {
  const testDatabase = await createTestDatabase();
  await migrateDatabase(testDatabase.url);
  const handle = createDatabase({
    url: testDatabase.url,
    poolMax,
    applicationName: 'sagaport-db-test',
  });
  return {
    ...handle,
    url: testDatabase.url,
    dispose: async () => {
      await handle.close();
      await testDatabase.drop();
    },
  };
}
