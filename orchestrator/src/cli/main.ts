#!/usr/bin/env node
// `sagaport`: the operator CLI. Dead letters, replay jobs, sagas and tokens through the admin API, with an API token.
import { Command, CommanderError } from 'commander';
import { CliError, DEFAULT_URL } from './client.js';
import { deadLettersCommand } from './dead-letters.js';
import { replayJobsCommand } from './replay-jobs.js';
import { sagasCommand } from './sagas.js';
import { tokensCommand } from './tokens.js';

/** Exit codes: 0 done, 1 the API refused or failed, 2 a usage error (bad flags, no token), 3 a preview says the replay would be refused. */
const USAGE = 2;

function program(): Command {
  const root = new Command('sagaport')
    .description('Operate Sagaport from a terminal: dead letters, replay, sagas, API tokens.')
    .option('--url <url>', `admin API base URL (env SAGAPORT_URL, default ${DEFAULT_URL})`)
    .option('--token <token>', 'API token; prefer env SAGAPORT_TOKEN, which stays out of shell history')
    .option('--json', 'print the API answers as JSON, for scripts')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 refused or failed (the problem is printed), 2 usage error, 3 a preview says the replay would be refused.',
    );
  for (const command of [deadLettersCommand(), replayJobsCommand(), sagasCommand(), tokensCommand()]) {
    root.addCommand(command);
  }
  // Every subcommand throws instead of exiting, so one place decides the exit code.
  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(root);
  return root;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message or the help already.
      return error.exitCode === 0 ? 0 : USAGE;
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n${error.lines.map((l) => `${l}\n`).join('')}`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
