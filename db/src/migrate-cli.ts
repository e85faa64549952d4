// Command-line entry for `npm run db:migrate`: migrates the database named by DATABASE_URL.
import { loadDbConfig } from './config.js';
import { describeDatabase, migrateDatabase } from './migrate.js';

try {
  const { url } = loadDbConfig();
  const started = Date.now();
  const { applied } = await migrateDatabase(url, { log: (line) => console.log(line) });
  const summary =
    applied.length === 0
      ? 'already up to date'
      : `${applied.length} migration${applied.length === 1 ? '' : 's'} applied`;
  console.log(`Database ${describeDatabase(url)}: ${summary} (${Date.now() - started} ms)`);
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
