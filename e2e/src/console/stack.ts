// The system under test for the console: orchestrator serving the built console, a bootstrap operator, poison messages.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { operatorEnv, testOperator } from '../admin-client.js';
import { System, type ManagedProcess } from '../harness.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The bootstrap operator (the same as the other end-to-end tests use). */
export const operatorLogin = testOperator;
export const viewerLogin = { email: 'viewer@sagaport.test', password: 'viewer-password-12' } as const;

/** Builds admin-ui/dist when it is missing (CI builds it before the tests; a local run may not have). */
export function ensureConsoleBuilt(): void {
  if (existsSync(`${repo}admin-ui/dist/index.html`)) return;
  execFileSync('npm', ['run', 'build', '-w', '@sagaport/admin-ui'], { cwd: repo, stdio: 'inherit' });
}

/**
 * The simulated payment provider's sandbox token that answers 503 to a card's first two charges
 * and charges it from the third on: an outage that outlasts the two attempts the console stack
 * allows, so the charge is dead-lettered as transient, and is over by the time an operator
 * replays it.
 */
export const providerOutageToken = 'tok_flaky';

/** Where the orchestrator finds the RabbitMQ management API (its default unless the env says otherwise). */
const managementUrl = process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';

/**
 * Whether the RabbitMQ management API answers on this machine. Without it the console shows
 * queue figures as unavailable (a warning, by design), so what the Queues page must show depends
 * on it.
 */
export async function managementApiReachable(): Promise<boolean> {
  const url = new URL(managementUrl);
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  try {
    const response = await fetch(new URL('api/overview', url), {
      headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
      signal: AbortSignal.timeout(5_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

export interface ConsoleStack {
  readonly system: System;
  readonly orchestrator: ManagedProcess;
  readonly baseUrl: string;
}

/**
 * Starts the orchestrator only (no worker consumes the command queues yet) with the bootstrap
 * operator, a step timeout far beyond the test (a resend would deliver a good copy and hide the
 * poison, or charge a card behind the operator's back) and two attempts per message: fewer than
 * the provider outage of {@link providerOutageToken} lasts, so those charges are dead-lettered.
 */
export async function startConsoleStack(env: Record<string, string> = {}): Promise<ConsoleStack> {
  ensureConsoleBuilt();
  const system = await System.create({
    catalogue: [{ sku: 'SKU-001', priceCents: 1_250, available: 1_000 }],
    env: {
      ...operatorEnv,
      STEP_TIMEOUT_MS: '600000',
      RETRY_MAX_ATTEMPTS: '2',
      REPLAY_RATE_PER_SECOND: '20',
      ...env,
    },
  });
  const orchestrator = await system.startOrchestrator();
  return { system, orchestrator, baseUrl: `http://127.0.0.1:${orchestrator.port}` };
}
