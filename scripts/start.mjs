// `npm start`: runs the orchestrator (API, engine, relay, console) and then every worker, as child
// processes; Ctrl-C or SIGTERM stops them gracefully, and if one dies the others are stopped too.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '3000';
const host = process.env.HOST ?? '127.0.0.1';
const children = [];
let stopping = false;

function run(name, script, args = []) {
  const child = spawn(process.execPath, [script, ...args], { cwd: repo, stdio: 'inherit', env: process.env });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`sagaport: ${name} exited (${signal ?? code}); stopping the rest`);
    void stop(1);
  });
  children.push(child);
  return child;
}

async function waitReady(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs / 1000} s`);
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children
      .filter((c) => c.exitCode === null)
      .map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGTERM')))),
  );
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

run('orchestrator', 'orchestrator/dist/main.js');
await waitReady(`http://${host}:${port}/readyz`).catch((error) => {
  console.error(`sagaport: ${error.message}`);
  return stop(1);
});
run('workers', 'workers/dist/main.js');
console.log(`sagaport: checkout API, admin console and docs on http://${host}:${port} (API docs: /docs)`);
