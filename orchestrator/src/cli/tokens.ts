// `sagaport tokens …`: list, create and revoke API tokens (a token may create tokens up to its own scope).
import { Command, Option } from 'commander';
import { unwrap } from './client.js';
import { contextOf, positiveInteger, type Schemas } from './context.js';
import { print, table, time } from './output.js';

type ApiToken = Schemas['ApiToken'];

const columns = [
  { heading: 'ID', value: (t: ApiToken) => t.id },
  { heading: 'NAME', value: (t: ApiToken) => t.name, max: 40 },
  { heading: 'SCOPE', value: (t: ApiToken) => t.scope },
  { heading: 'STATUS', value: (t: ApiToken) => t.status },
  { heading: 'TOKEN', value: (t: ApiToken) => `${t.hint}…` },
  { heading: 'OWNER', value: (t: ApiToken) => t.owner.email },
  { heading: 'EXPIRES', value: (t: ApiToken) => time(t.expiresAt) },
  { heading: 'LAST USED', value: (t: ApiToken) => time(t.lastUsedAt) },
];

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('API tokens');
  tokens
    .command('list')
    .description('your tokens (an operator sees everyone’s), newest first')
    .option('--all', 'include expired and revoked tokens')
    .action(async (options: { all?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const page = await unwrap(
        ctx.api.GET('/api/admin/tokens', { params: { query: { status: options.all ? 'all' : 'active' } } }),
      );
      print(ctx.json, page, () => table(page.items, columns));
    });
  tokens
    .command('create')
    .description('create a token; its secret is printed once, on stdout')
    .requiredOption('--name <name>', 'what it is for')
    .addOption(
      new Option('--scope <scope>', 'what it may do').choices(['viewer', 'operator']).default('viewer'),
    )
    .option('--days <n>', 'lifetime in days (default: the server setting)', positiveInteger('--days'))
    .action(
      async (options: { name: string; scope: 'viewer' | 'operator'; days?: number }, command: Command) => {
        const ctx = contextOf(command);
        const body = {
          name: options.name,
          scope: options.scope,
          ...(options.days ? { expiresInDays: options.days } : {}),
        };
        const created = await unwrap(ctx.api.POST('/api/admin/tokens', { body }));
        if (ctx.json) return print(true, created, () => '');
        process.stderr.write(
          `created ${created.token.scope} token "${created.token.name}" (${created.token.id}), expires ${time(created.token.expiresAt)}\n` +
            'store it now: it is not shown again\n',
        );
        process.stdout.write(`${created.secret}\n`);
      },
    );
  tokens
    .command('revoke <id>')
    .description('revoke a token and every token made with it')
    .action(async (id: string, _options, command: Command) => {
      const ctx = contextOf(command);
      const token = await unwrap(ctx.api.POST('/api/admin/tokens/{id}/revoke', { params: { path: { id } } }));
      print(ctx.json, token, () => table([token], columns));
    });
  return tokens;
}
