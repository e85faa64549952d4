// `sagaport dead-letters …`: list, groups, show, replay (one, or many as a job with progress) and discard.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { CliError, unwrap } from './client.js';
import { contextOf, positiveInteger, type CommandContext, type Schemas } from './context.js';
import { fields, print, table, time } from './output.js';
import { describeJob, watchJob } from './replay-jobs.js';
import type { paths } from './schema.js';

type DeadLetter = Schemas['DeadLetterSummary'];
type BulkReplayBody = NonNullable<
  paths['/api/admin/replay-jobs']['post']['requestBody']
>['content']['application/json'];
type Filter = NonNullable<BulkReplayBody['filter']>;

interface FilterOptions {
  queue?: string;
  type?: string;
  errorClass?: string;
  saga?: string;
  fingerprint?: string;
  search?: string;
  from?: string;
  to?: string;
}

/** The filter flags shared by list, groups and replay-bulk. */
function withFilters(command: Command): Command {
  return command
    .option('--queue <queue>', 'original queue, e.g. payment.commands')
    .option('--type <type>', 'message type, e.g. payment.charge')
    .option('--error-class <class>', 'transient or permanent')
    .option('--saga <id>', 'saga id')
    .option('--fingerprint <fingerprint>', 'failure group (see `dead-letters groups`)')
    .option('--search <text>', 'text in the error message, message id or body')
    .option('--from <iso-time>', 'last failure at or after')
    .option('--to <iso-time>', 'last failure before');
}

function filterOf(o: FilterOptions) {
  const filter = {
    queue: o.queue,
    messageType: o.type,
    errorClass: o.errorClass,
    sagaId: o.saga,
    fingerprint: o.fingerprint,
    q: o.search,
    from: o.from,
    to: o.to,
  };
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as typeof filter;
}

const columns = [
  { heading: 'ID', value: (d: DeadLetter) => d.id },
  { heading: 'STATUS', value: (d: DeadLetter) => d.status },
  { heading: 'TYPE', value: (d: DeadLetter) => d.messageType },
  { heading: 'CLASS', value: (d: DeadLetter) => d.errorClass },
  { heading: 'TRIES', value: (d: DeadLetter) => d.attempts },
  { heading: 'LAST FAILED', value: (d: DeadLetter) => time(d.lastFailedAt) },
  { heading: 'SAGA', value: (d: DeadLetter) => d.sagaId },
  { heading: 'ERROR', value: (d: DeadLetter) => d.errorMessage, max: 60 },
];

const statusOption = () =>
  new Option('--status <status>', 'open, replayed or discarded').choices(['open', 'replayed', 'discarded']);

type ListOptions = FilterOptions & { status?: string; limit: number; all?: boolean };

async function list(ctx: CommandContext, options: ListOptions) {
  const query = {
    ...filterOf(options),
    ...(options.status ? { status: options.status as 'open' | 'replayed' | 'discarded' } : {}),
    limit: options.limit,
  };
  const items: DeadLetter[] = [];
  let cursor: string | undefined;
  let next: string | null;
  do {
    const page = await unwrap(
      ctx.api.GET('/api/admin/dead-letters', {
        params: { query: { ...query, ...(cursor ? { cursor } : {}) } },
      }),
    );
    items.push(...page.items);
    next = page.nextCursor;
    cursor = next ?? undefined;
  } while (options.all && next);
  print(ctx.json, { items, nextCursor: next }, () => table(items, columns));
  if (next && !ctx.json)
    process.stderr.write(`more dead letters: add --all, or --limit ${options.limit * 2}\n`);
}

/** An edited body from a file, `-` for stdin; it must be JSON. */
function readBody(path: string): unknown {
  const text = readFileSync(path === '-' ? 0 : path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`--body-file ${path} is not JSON: ${(error as Error).message}`, 2);
  }
}

export function deadLettersCommand(): Command {
  const dl = new Command('dead-letters')
    .alias('dl')
    .description('dead letters: list, inspect, replay, discard');

  withFilters(dl.command('list').description('dead letters, newest failure first'))
    .addOption(statusOption())
    .option('--limit <n>', 'per page (at most 200)', positiveInteger('--limit'), 50)
    .option('--all', 'every page, not just the first')
    .action(async (options: ListOptions, command: Command) => list(contextOf(command), options));

  withFilters(dl.command('groups').description('dead letters grouped by cause (fingerprint)'))
    .addOption(statusOption())
    .action(
      async (options: FilterOptions & { status?: 'open' | 'replayed' | 'discarded' }, command: Command) => {
        const ctx = contextOf(command);
        const query = { ...filterOf(options), ...(options.status ? { status: options.status } : {}) };
        const groups = await unwrap(ctx.api.GET('/api/admin/dead-letters/groups', { params: { query } }));
        print(ctx.json, groups, () =>
          table(groups.items, [
            { heading: 'FINGERPRINT', value: (g) => g.fingerprint },
            { heading: 'OPEN', value: (g) => `${g.openCount}/${g.count}` },
            { heading: 'TYPE', value: (g) => `${g.messageType} · ${g.errorClass}` },
            { heading: 'LAST SEEN', value: (g) => time(g.lastSeen) },
            { heading: 'CAUSE', value: (g) => g.title, max: 70 },
          ]),
        );
      },
    );

  dl.command('show <id>')
    .description('one dead letter: error, body, headers, history')
    .action(async (id: string, _options, command: Command) => {
      const ctx = contextOf(command);
      const d = await unwrap(ctx.api.GET('/api/admin/dead-letters/{id}', { params: { path: { id } } }));
      print(ctx.json, d, () =>
        [
          fields([
            ['id', d.id],
            ['status', d.status],
            ['type', d.messageType],
            ['queue', d.originalQueue],
            ['saga', d.sagaId],
            ['message id', d.messageId],
            ['error', `${d.errorClass} ${d.errorName}: ${d.errorMessage}`],
            ['attempts', d.attempts],
            ['first failed', time(d.firstFailedAt)],
            ['last failed', time(d.lastFailedAt)],
            ['failed by', d.failedBy],
            ['replayed', d.replayedAt ? `${time(d.replayedAt)} by ${d.replayedBy}` : null],
          ]),
          '\nbody:\n',
          d.bodyJson !== null && d.bodyJson !== undefined ? JSON.stringify(d.bodyJson, null, 2) : d.body,
          '\n',
        ].join(''),
      );
    });

  dl.command('replay <id>')
    .description('replay one dead letter now, optionally with an edited body')
    .option('--reason <text>', 'why, for the audit log')
    .option('--body-file <file>', 'edited body (JSON) to replay instead of the original; - for stdin')
    .action(async (id: string, options: { reason?: string; bodyFile?: string }, command: Command) => {
      const ctx = contextOf(command);
      const body = {
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.bodyFile ? { body: readBody(options.bodyFile) } : {}),
      };
      const result = await unwrap(
        ctx.api.POST('/api/admin/dead-letters/{id}/replay', { params: { path: { id } }, body }),
      );
      print(ctx.json, result, () => `replayed ${result.deadLetterId} as message ${result.replayMessageId}\n`);
    });

  dl.command('preview <id>')
    .description('what replaying one dead letter would do, without doing it: saga, step, verdict, effect')
    .option('--body-file <file>', 'preview an edited body (JSON) instead of the original; - for stdin')
    .action(async (id: string, options: { bodyFile?: string }, command: Command) => {
      const ctx = contextOf(command);
      const body = options.bodyFile ? { body: readBody(options.bodyFile) } : {};
      const p = await unwrap(
        ctx.api.POST('/api/admin/dead-letters/{id}/replay-preview', { params: { path: { id } }, body }),
      );
      print(ctx.json, p, () =>
        [
          fields([
            ['verdict', p.willReplay ? 'would replay' : `refused (${p.refusal!.status} ${p.refusal!.code})`],
            ['why', p.refusal?.detail ?? null],
            ['instead', p.suggestion ? `${p.suggestion.action}: ${p.suggestion.detail}` : null],
            ['effect', p.effect],
            ['step', p.step ? `${p.step.name} (${p.step.phase})` : null],
            ['saga', p.saga ? `${p.saga.id} ${p.saga.status}` : null],
            [
              'saga waits for',
              p.saga?.awaiting ? `${p.saga.awaiting.type} (${p.saga.awaiting.messageId})` : null,
            ],
            ['waits for this', p.waitingForThis === null ? null : p.waitingForThis ? 'yes' : 'no'],
          ]),
          ...p.errors.map((e) => `  ${e.field}: ${e.message}\n`),
          ...(p.since.length > 0
            ? [
                'since it failed:\n',
                ...p.since.map((e) => `  ${time(e.at)}  ${e.kind} ${e.messageType ?? ''}\n`),
              ]
            : []),
        ].join(''),
      );
      if (!p.willReplay) throw new CliError('the replay would be refused (see why and instead)', 3);
    });

  withFilters(
    dl
      .command('replay-bulk [ids...]')
      .description(
        'replay many dead letters as a throttled job, by ids, --fingerprint or filter flags; shows progress',
      ),
  )
    .option('--rate <n>', 'messages per second (default: the server setting)', positiveInteger('--rate'))
    .option('--no-wait', 'start the job and print it without following it')
    .option('--dry-run', 'count what the job would replay, skip (and why) or fail; start nothing')
    .action(
      async (
        ids: string[],
        options: FilterOptions & { rate?: number; wait: boolean; dryRun?: boolean },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const filter = filterOf(options) as Filter;
        const filtered = Object.keys(filter).length > 0;
        if (ids.length > 0 === filtered) {
          throw new CliError(
            'give either dead letter ids or filter flags (e.g. --fingerprint), not both or neither',
            2,
          );
        }
        const selector =
          ids.length > 0
            ? { ids }
            : Object.keys(filter).length === 1 && filter.fingerprint
              ? { fingerprint: filter.fingerprint }
              : { filter };
        const body = { ...selector, ...(options.rate ? { ratePerSecond: options.rate } : {}) };
        if (options.dryRun) {
          const dry = await unwrap(ctx.api.POST('/api/admin/dead-letters/replay-preview', { body }));
          print(ctx.json, dry, () =>
            [
              `dry run: ${dry.total} selected, ${dry.wouldReplay} would be replayed, ${dry.wouldSkip} skipped, ${dry.wouldFail} failed\n`,
              ...dry.reasons.map((r) => `  ${r.count} ${r.outcome} (${r.code}), e.g. ${r.example}\n`),
              dry.refusal ? `the job would be refused (${dry.refusal.status}): ${dry.refusal.detail}\n` : '',
            ].join(''),
          );
          return;
        }
        const job = await unwrap(ctx.api.POST('/api/admin/replay-jobs', { body }));
        if (!options.wait) {
          print(ctx.json, job, () => describeJob(job));
          return;
        }
        await watchJob(ctx, job.id);
      },
    );

  dl.command('discard <ids...>')
    .description('set dead letters aside (kept, marked discarded)')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (ids: string[], options: { reason?: string }, command: Command) => {
      const ctx = contextOf(command);
      const discarded: DeadLetter[] = [];
      for (const id of ids) {
        const body = options.reason ? { reason: options.reason } : {};
        discarded.push(
          await unwrap(
            ctx.api.POST('/api/admin/dead-letters/{id}/discard', { params: { path: { id } }, body }),
          ),
        );
      }
      print(ctx.json, { items: discarded }, () => table(discarded, columns));
    });

  return dl;
}
