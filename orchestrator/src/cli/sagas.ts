// `sagaport sagas …`: find sagas by filters, show one with its timeline, and the operator actions on a saga.
import { Command, Option } from 'commander';
import { unwrap } from './client.js';
import { contextOf, positiveInteger, type CommandContext, type Schemas } from './context.js';
import { fields, print, table, time } from './output.js';
import type { paths } from './schema.js';

type Saga = Schemas['SagaSummary'];
type SagaQuery = NonNullable<paths['/api/admin/sagas']['get']['parameters']['query']>;

const columns = [
  { heading: 'ID', value: (s: Saga) => s.id },
  { heading: 'STATUS', value: (s: Saga) => `${s.status}${s.stuck ? ' (stuck)' : ''}` },
  { heading: 'STEP', value: (s: Saga) => s.currentStep },
  { heading: 'EMAIL', value: (s: Saga) => s.email },
  {
    heading: 'TOTAL',
    value: (s: Saga) =>
      s.totalCents === null ? null : `${(s.totalCents / 100).toFixed(2)} ${s.currency ?? ''}`,
  },
  { heading: 'DEAD', value: (s: Saga) => s.openDeadLetters },
  { heading: 'CREATED', value: (s: Saga) => time(s.createdAt) },
];

interface ListOptions {
  status?: Schemas['SagaStatus'];
  step?: SagaQuery['step'];
  stuck?: boolean;
  olderThan?: number;
  search?: string;
  limit: number;
  all?: boolean;
}

async function list(ctx: CommandContext, o: ListOptions): Promise<void> {
  const query: SagaQuery = {
    limit: o.limit,
    ...(o.status ? { status: o.status } : {}),
    ...(o.step ? { step: o.step } : {}),
    ...(o.stuck ? { stuck: 'true' as const } : {}),
    ...(o.olderThan ? { olderThanSeconds: o.olderThan } : {}),
    ...(o.search ? { q: o.search } : {}),
  };
  const items: Saga[] = [];
  let cursor: string | undefined;
  let next: string | null;
  do {
    const page = await unwrap(
      ctx.api.GET('/api/admin/sagas', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } }),
    );
    items.push(...page.items);
    next = page.nextCursor;
    cursor = next ?? undefined;
  } while (o.all && next);
  print(ctx.json, { items, nextCursor: next }, () => table(items, columns));
  if (next && !ctx.json) process.stderr.write('more sagas: add --all to fetch every page\n');
}

function describeSaga(detail: {
  saga: Schemas['SagaDetail'];
  timeline: Schemas['TimelineEntry'][];
  deadLetters: Schemas['DeadLetterSummary'][];
}): string {
  const { saga } = detail;
  return [
    fields([
      ['id', saga.id],
      ['status', `${saga.status}${saga.stuck ? ' (stuck)' : ''}`],
      ['step', saga.currentStep],
      ['order', saga.orderId],
      ['customer', saga.customerId],
      ['email', saga.email],
      ['created', time(saga.createdAt)],
      ['updated', time(saga.updatedAt)],
      ['ended', time(saga.endedAt)],
      ['deadline', time(saga.deadlineAt)],
      ['open dead letters', saga.openDeadLetters],
    ]),
    '\ntimeline:\n',
    table(detail.timeline, [
      { heading: 'AT', value: (e) => time(e.at) },
      { heading: 'SOURCE', value: (e) => e.source },
      { heading: 'KIND', value: (e) => e.kind },
      { heading: 'MESSAGE', value: (e) => e.messageType },
    ]),
  ].join('');
}

function action(name: 'retry-step' | 'compensate', description: string): Command {
  return new Command(name)
    .argument('<id>', 'saga id')
    .description(description)
    .action(async (id: string, _o, command: Command) => {
      const ctx = contextOf(command);
      const path =
        name === 'retry-step' ? '/api/admin/sagas/{id}/retry-step' : '/api/admin/sagas/{id}/compensate';
      const after = await unwrap(ctx.api.POST(path, { params: { path: { id } } }));
      print(
        ctx.json,
        after,
        () => `${name}: saga ${after.id} is ${after.status} (step ${after.currentStep ?? '-'})\n`,
      );
    });
}

export function sagasCommand(): Command {
  const sagas = new Command('sagas').description('sagas: find, inspect, retry a step, compensate');
  sagas
    .command('list')
    .description('sagas matching the filters, newest first')
    .addOption(
      new Option('--status <status>').choices([
        'running',
        'compensating',
        'completed',
        'compensated',
        'failed',
      ]),
    )
    .addOption(
      new Option('--step <step>', 'the step it awaits').choices([
        'createOrder',
        'reserveStock',
        'chargePayment',
        'scheduleShipping',
        'confirmOrder',
      ]),
    )
    .option('--stuck', 'failed, or past its step deadline')
    .option(
      '--older-than <seconds>',
      'started more than this many seconds ago',
      positiveInteger('--older-than'),
    )
    .option('--search <text>', 'saga id, order id, customer id or email (exact)')
    .option('--limit <n>', 'per page (at most 200)', positiveInteger('--limit'), 50)
    .option('--all', 'every page, not just the first')
    .action(async (options: ListOptions, command: Command) => list(contextOf(command), options));
  sagas
    .command('show <id>')
    .description('one saga and its timeline')
    .action(async (id: string, _options, command: Command) => {
      const ctx = contextOf(command);
      const detail = await unwrap(ctx.api.GET('/api/admin/sagas/{id}', { params: { path: { id } } }));
      print(ctx.json, detail, () => describeSaga(detail));
    });
  sagas.addCommand(action('retry-step', 'resend the awaited command, or re-issue the failed compensation'));
  sagas.addCommand(action('compensate', 'abandon the running step and compensate the saga'));
  return sagas;
}
