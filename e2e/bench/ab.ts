// `npm run bench:ab -- --base <git ref> [--pairs 3] [-- <bench options>]`: the benchmark of this
// checkout and of another commit, in alternating pairs on the same machine, and one JSON line
// with the head's figures over the base's. The VM drifts by up to 30 % within the hour, so a
// change is judged by pairs run back to back, never by runs from different hours.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { orderOf, summarize, type BenchLine, type Pair } from '../src/ab-summary.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    /** The commit to compare with: built once in a worktree of its own, kept for the next series. */
    base: { type: 'string' },
    /** Or a checkout that is installed and built already. */
    'base-dir': { type: 'string' },
    pairs: { type: 'string', default: '3' },
  },
});
const head = fileURLToPath(new URL('../..', import.meta.url));
const pairs = Number(values.pairs);
if (!Number.isInteger(pairs) || pairs < 1) throw new Error('--pairs is a whole number of at least 1');
const log = (message: string) => console.log(`bench:ab: ${message}`);

function run(command: string, args: readonly string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (${result.status})`);
}

/** The base's checkout, installed and built: `--base-dir` as given, or a worktree of `--base`. */
function baseCheckout(): string {
  if (values['base-dir']) return resolve(values['base-dir']);
  if (!values.base)
    throw new Error('say what to compare with: --base <git ref> or --base-dir <built checkout>');
  const sha = spawnSync('git', ['rev-parse', '--verify', `${values.base}^{commit}`], {
    cwd: head,
    encoding: 'utf8',
  });
  if (sha.status !== 0) throw new Error(`${values.base} is not a commit of this repository`);
  const dir = join(tmpdir(), `sagaport-ab-${sha.stdout.trim().slice(0, 12)}`);
  if (!existsSync(join(dir, 'node_modules'))) {
    log(`building ${values.base} in ${dir} (once; later series reuse it)`);
    if (!existsSync(dir))
      run('git', ['worktree', 'add', '--detach', '--force', dir, sha.stdout.trim()], head);
    run('npm', ['ci', '--no-audit', '--no-fund'], dir);
  }
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], dir);
  return dir;
}

/** One benchmark run in `cwd`, its output passed through, its JSON line returned. */
function bench(label: string, cwd: string): Promise<BenchLine> {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', 'bench', '-w', '@sagaport/e2e', '--', ...positionals], { cwd });
    let last = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        if (line.startsWith('{')) last = line;
        else console.log(`  [${label}] ${line}`);
      }
    });
    child.stderr.pipe(process.stderr);
    child.on('exit', (code) => {
      if (code !== 0 || !last) return fail(new Error(`the ${label} run failed (exit ${code})`));
      console.log(`  [${label}] ${last}`);
      done(JSON.parse(last) as BenchLine);
    });
  });
}

const base = baseCheckout();
log('building this checkout');
run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], head);
const series: Pair[] = [];
for (let i = 0; i < pairs; i += 1) {
  const lines: Partial<Record<'base' | 'head', BenchLine>> = {};
  for (const side of orderOf(i)) {
    log(`pair ${i + 1} of ${pairs}: ${side}`);
    lines[side] = await bench(side, side === 'base' ? base : head);
  }
  series.push({ base: lines.base!, head: lines.head! });
}
console.log(
  JSON.stringify({ base: values.base ?? base, bench: positionals.join(' '), ...summarize(series) }),
);
