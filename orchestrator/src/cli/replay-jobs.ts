// `sagaport replay-jobs …`: list, show, watch and cancel bulk replay jobs; the progress display of a running job.
import { Command, InvalidArgumentError } from 'commander';
import { CliError, unwrap } from './client.js';
import { contextOf, type CommandContext, type Schemas } from './context.js';
import { fields, print, Progress, table, time } from './output.js';

type ReplayJob = Schemas['ReplayJob'];

const FINISHED = new Set<ReplayJob['status']>(['completed', 'cancelled']);

export const jobColumns = [
  { heading: 'ID', value: (j: ReplayJob) => j.id },
  { heading: 'STATUS', value: (j: ReplayJob) => j.status },
  { heading: 'DONE', value: (j: ReplayJob) => `${j.replayed + j.skipped + j.failed}/${j.total}` },
  { heading: 'REPLAYED', value: (j: ReplayJob) => j.replayed },
  { heading: 'SKIPPED', value: (j: ReplayJob) => j.skipped },
  { heading: 'FAILED', value: (j: ReplayJob) => j.failed },
  { heading: 'CREATED', value: (j: ReplayJob) => time(j.createdAt) },
  { heading: 'BY', value: (j: ReplayJob) => j.createdBy },
];

/** One job as `key value` lines. */
export function describeJob(job: ReplayJob): string {
  return fields([
    ['id', job.id],
    ['status', job.status],
    ['total', job.total],
    ['replayed', job.replayed],
    ['skipped', job.skipped],
    ['failed', job.failed],
    ['rate', `${job.ratePerSecond}/s`],
    ['created', `${time(job.createdAt)} by ${job.createdBy}`],
    ['started', time(job.startedAt)],
    ['finished', time(job.finishedAt)],
  ]);
}

const progressLine = (job: ReplayJob) =>
  `replay job ${job.id.slice(0, 8)} ${job.status}: ${job.replayed + job.skipped + job.failed}/${job.total} ` +
  `(replayed ${job.replayed}, skipped ${job.skipped}, failed ${job.failed})`;

async function fetchJob(ctx: CommandContext, id: string): Promise<ReplayJob> {
  return unwrap(ctx.api.GET('/api/admin/replay-jobs/{id}', { params: { path: { id } } }));
}

/**
 * Polls job `id` until it finishes, showing progress on stderr, then prints it. A job that
 * failed some items or was cancelled ends the process with exit code 1.
 */
export async function watchJob(ctx: CommandContext, id: string, intervalMs = 1_000): Promise<void> {
  const progress = new Progress();
  let job = await fetchJob(ctx, id);
  progress.update(progressLine(job));
  while (!FINISHED.has(job.status)) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    job = await fetchJob(ctx, id);
    progress.update(progressLine(job));
  }
  progress.done();
  print(ctx.json, job, () => describeJob(job));
  if (job.failed > 0)
    throw new CliError(`${job.failed} of ${job.total} replays failed; see the job in the console`);
  if (job.status === 'cancelled') throw new CliError(`job ${job.id} was cancelled before it finished`);
}

const interval = (value: string) => {
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 100) throw new InvalidArgumentError('must be at least 100 (milliseconds)');
  return ms;
};

export function replayJobsCommand(): Command {
  const jobs = new Command('replay-jobs').description('bulk replay jobs');
  jobs
    .command('list')
    .description('bulk replay jobs, newest first')
    .action(async (_options, command: Command) => {
      const ctx = contextOf(command);
      const page = await unwrap(ctx.api.GET('/api/admin/replay-jobs'));
      print(ctx.json, page, () => table(page.items, jobColumns));
    });
  jobs
    .command('show <id>')
    .description('one job and its counts')
    .action(async (id: string, _options, command: Command) => {
      const ctx = contextOf(command);
      const job = await fetchJob(ctx, id);
      print(ctx.json, job, () => describeJob(job));
    });
  jobs
    .command('watch <id>')
    .description('follow a job until it finishes (exit 1 if any replay failed)')
    .option('--interval <ms>', 'how often to poll', interval, 1_000)
    .action(async (id: string, options: { interval: number }, command: Command) => {
      await watchJob(contextOf(command), id, options.interval);
    });
  jobs
    .command('cancel <id>')
    .description('cancel a queued or running job; what was replayed stays replayed')
    .action(async (id: string, _options, command: Command) => {
      const ctx = contextOf(command);
      const job = await unwrap(
        ctx.api.POST('/api/admin/replay-jobs/{id}/cancel', { params: { path: { id } } }),
      );
      print(ctx.json, job, () => describeJob(job));
    });
  return jobs;
}
