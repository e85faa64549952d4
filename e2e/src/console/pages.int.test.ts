// Every console page in Chromium under the real build and its Content-Security-Policy: no CSP violation, no serious or critical axe finding.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminLogin, type AdminClient } from '../admin-client.js';
import { checkoutBody, postCheckout } from '../client.js';
import { desktop, launchChromium } from './browser.js';
import { operatorLogin, providerOutageToken, startConsoleStack, type ConsoleStack } from './stack.js';
import { waitFor } from './wait.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.1 A/AA and best practices) on what the page shows; returns the serious and critical findings. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not as an inline <script>: the page's CSP stays as it is.
  await page.evaluate(axeSource);
  const options = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  };
  const violations: unknown = await page.evaluate(
    `window.axe.run(document, ${JSON.stringify(options)}).then((result) => result.violations)`,
  );
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 3)
          .map(
            (n) =>
              `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ')}]` : ''}`,
          )
          .join('; ')}`,
    );
}

/** Waits until the page shows `heading` (its h1, or a text for pages without one) and nothing "Loading…". */
async function settled(page: Page, heading: string | RegExp | { text: string }): Promise<void> {
  await (
    typeof heading === 'object' && 'text' in heading
      ? page.getByText(heading.text, { exact: true })
      : page.getByRole('heading', { level: 1, name: heading })
  ).waitFor();
  await waitFor(
    'the page to finish loading',
    () => page.locator('.state--loading').count(),
    (n) => n === 0,
  );
}

describe('every console page under its Content-Security-Policy, checked with axe-core', () => {
  let stack: ConsoleStack;
  let api: AdminClient;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];
  const ids = { saga: '', deadLetter: '', replayJob: '' };
  const url = (path: string) => `${stack.baseUrl}${path}`;

  beforeAll(async () => {
    stack = await startConsoleStack();
    await stack.system.startWorkers();
    const port = stack.orchestrator.port;
    api = await adminLogin(port, operatorLogin);
    // Something on every page: a completed and a compensated saga, two dead letters, a replay job.
    const [completed] = await Promise.all([
      postCheckout(port, checkoutBody(), { waitSeconds: 20 }),
      postCheckout(port, checkoutBody({ paymentToken: 'tok_declined' }), { waitSeconds: 20 }),
      postCheckout(port, checkoutBody({ paymentToken: providerOutageToken })),
      postCheckout(port, checkoutBody({ paymentToken: providerOutageToken })),
    ]);
    ids.saga = completed.sagaId;
    const open = await waitFor(
      'two archived dead letters',
      () => api.get<{ items: { id: string }[] }>('/dead-letters?status=open'),
      (list) => list.items.length === 2,
      60_000,
    );
    const [replayed, kept] = open.items as [{ id: string }, { id: string }];
    ids.deadLetter = kept.id;
    const job = await api.post<{ id: string }>('/replay-jobs', { ids: [replayed.id] });
    expect(job.status).toBe(202);
    ids.replayJob = job.body.id;

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: desktop });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text()))
        cspViolations.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => cspViolations.push(`${page.url()}: page error ${error.message}`));
  }, 240_000);

  afterEach((context) => {
    if (context.task.result?.state === 'fail') {
      for (const process of stack?.system.processes ?? [])
        console.error(`--- ${process.name}\n${process.output.slice(-20).join('')}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.system.stop();
  });

  it('serves the built console and /docs with the policy, and neither has an inline script', async () => {
    for (const path of ['/', '/sagas', '/docs']) {
      const response = await fetch(url(path), { headers: { accept: 'text/html' } });
      expect(response.status, path).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      const html = await response.text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length, path).toBeGreaterThan(0);
      for (const [, attributes, content] of scripts) {
        expect(attributes, path).toMatch(/\ssrc="/);
        expect(content!.trim(), path).toBe('');
      }
      expect(html, path).not.toMatch(/\son[a-z]+="/);
    }
  });

  it('the sign-in page', async () => {
    await page.goto(url('/login'));
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Email').fill(operatorLogin.email);
    await page.getByLabel('Password').fill(operatorLogin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await settled(page, 'Overview');
  });

  const pages: [string, () => string, string | RegExp | { text: string }][] = [
    ['the overview', () => '/', 'Overview'],
    ['the dead-letter groups', () => '/dead-letters', 'Dead letters'],
    ['the dead-letter list', () => '/dead-letters?view=list&status=all', 'Dead letters'],
    ['a dead letter', () => `/dead-letters/${ids.deadLetter}`, /payment\.charge/],
    ['the replay jobs', () => '/replay-jobs', 'Replay jobs'],
    ['a replay job', () => `/replay-jobs/${ids.replayJob}`, /Bulk replay/],
    ['the sagas', () => '/sagas', 'Sagas'],
    ['a saga', () => `/sagas/${ids.saga}`, /Saga/],
    ['the queues', () => '/queues', 'Queues'],
    ['the audit log', () => '/audit', 'Audit log'],
    ['a page that does not exist', () => '/no-such-page', { text: 'No such page' }],
  ];
  for (const [name, path, heading] of pages) {
    it(name, async () => {
      await page.goto(url(path()));
      await settled(page, heading);
      expect(await seriousViolations(page)).toEqual([]);
    });
  }

  it('the edit-and-replay form of a dead letter', async () => {
    await page.goto(url(`/dead-letters/${ids.deadLetter}`));
    await settled(page, /payment\.charge/);
    await page.getByRole('button', { name: 'Edit and replay' }).click();
    await page.getByLabel('Message body (JSON)').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('the API docs page, whose code blocks a keyboard can reach', async () => {
    await page.goto(url('/docs'));
    await page.getByRole('heading', { level: 1, name: 'Sagaport checkout API' }).waitFor();
    const blocks = page.getByRole('region', { name: /^Schema / });
    await blocks.first().waitFor();
    expect(await blocks.count()).toBeGreaterThan(0);
    for (const block of await blocks.all()) expect(await block.getAttribute('tabindex')).toBe('0');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('ran every page without a Content-Security-Policy violation or a script error', () => {
    expect(cspViolations).toEqual([]);
  });
});
