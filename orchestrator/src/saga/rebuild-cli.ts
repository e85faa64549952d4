// `npm run sagas:rebuild [-- --apply]`: saga.instances rebuilt from saga.events, compared with the live rows or written over them.
import { createDatabase, loadDbConfig } from '@sagaport/db';
import { rebuildSagas } from './rebuild.js';

const usage = `usage: npm run sagas:rebuild [-- --apply] [--page N]
  Rebuilds every saga's row of saga.instances from its events in saga.events and compares it with
  the live row, column by column. Prints a progress line per page (stderr), then one JSON line.
  Exit 0 when every rebuildable row is equal, 1 when some differ or are missing.
  --apply    write the rebuilt rows over the ones that differ (and insert missing ones), page by
             page, each page in one transaction. Stop the orchestrators first: a transition that
             read a damaged row just before could write its result over the repair (the engine
             checks the version, which a repair at the same version does not change)
  --page N   sagas per page (default 1000)
Rows whose sagas have no events left (pruned by retention) are counted and left alone.
Reads DATABASE_URL like the processes.`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('help')) {
    console.log(usage);
    return 0;
  }
  const unknown = argv.filter((a, i) => !['--apply', '--page'].includes(a) && argv[i - 1] !== '--page');
  const pageAt = argv.indexOf('--page');
  const pageSize = pageAt >= 0 ? Number(argv[pageAt + 1]) : 1_000;
  if (unknown.length > 0 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
    console.error(unknown.length > 0 ? `unknown argument ${unknown[0]}` : '--page takes 1 to 10000');
    console.error(usage);
    return 2;
  }
  const database = createDatabase({
    ...loadDbConfig(process.env),
    poolMax: 2,
    applicationName: 'sagaport-sagas-rebuild',
  });
  try {
    const summary = await rebuildSagas(database.sql, {
      apply: argv.includes('--apply'),
      pageSize,
      progress: (line) => console.error(line),
    });
    console.log(JSON.stringify(summary));
    if (summary.mode === 'apply') return 0;
    if (summary.differing + summary.missing > 0) {
      console.error('rows differ from their events: run with --apply to rewrite them from the events');
      return 1;
    }
    return 0;
  } finally {
    await database.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
