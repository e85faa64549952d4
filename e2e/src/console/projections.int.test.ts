// The Projections page in Debian's Chromium against the real stack: lag and parked events, skip, pause/resume, a rebuild's progress bar; viewers read only.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildMessage, eventHeaders } from '@sagaport/rabbitmq';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminLogin, type AdminClient } from '../admin-client.js';
import { desktop, launchChromium, screenshot } from './browser.js';
import { operatorLogin, startConsoleStack, viewerLogin, type ConsoleStack } from './stack.js';
import { waitFor } from './wait.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The serious and critical axe-core findings (WCAG 2.1 A/AA and best practices) on what the page shows. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const options = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  };
  const found: unknown = await page.evaluate(
    `window.axe.run(document, ${JSON.stringify(options)}).then((result) => result.violations)`,
  );
  const violations = found as { id: string; impact: string | null; nodes: { target: string[] }[] }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
}

const EVENTS = 8_000;

describe('the Projections page (Chromium, real stack)', () => {
  let stack: ConsoleStack;
  let operatorApi: AdminClient;
  let browser: Browser;
  let page: Page;
  const url = (path: string) => `${stack.baseUrl}${path}`;

  /** Publishes `count` valid order events, and one whose body breaks its contract (parked). */
  const publishEvents = async (count: number) => {
    const connection = await stack.system.connectAdmin();
    const channel = await connection.createConfirmChannel();
    const exchange = stack.system.topology.exchanges.events;
    const send = (type: 'order.placed' | 'payment.charged', orderId: string, payload: object) => {
      const message = buildMessage({
        exchange,
        routingKey: type,
        type,
        payload,
        correlationId: randomUUID(),
        headers: eventHeaders(type, { aggregateId: orderId, sequence: 1 }),
      });
      channel.publish(exchange, type, message.content, message.properties);
    };
    for (let i = 0; i < count; i += 1) {
      const orderId = randomUUID();
      send('order.placed', orderId, {
        orderId,
        customerId: `cust-${i % 10}`,
        items: [{ sku: 'SKU-001', quantity: 1, unitPriceCents: 1_250 }],
        totalCents: 1_250,
        currency: 'EUR',
      });
      if (i % 1_000 === 999) await channel.waitForConfirms();
    }
    send('payment.charged', randomUUID(), { orderId: randomUUID(), amount: 'lots' });
    await channel.waitForConfirms();
    await connection.close();
  };

  const signIn = async (target: Page, credentials: { email: string; password: string }) => {
    await target.goto(url('/projections'));
    await target.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await target.getByLabel('Email').fill(credentials.email);
    await target.getByLabel('Password').fill(credentials.password);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { level: 1, name: 'Projections' }).waitFor();
  };
  const row = (target: Page) => target.getByRole('row').filter({ hasText: 'order-history' });

  beforeAll(async () => {
    stack = await startConsoleStack({ PROJECTION_LAG_SAMPLE_MS: '0' });
    operatorApi = await adminLogin(stack.orchestrator.port, operatorLogin);
    await publishEvents(EVENTS);
    await waitFor(
      'the order history to catch up',
      () => operatorApi.get<{ items: { name: string; lagEvents: number | null }[] }>('/projections'),
      (list) => list.items.find((p) => p.name === 'order-history')?.lagEvents === 0,
      60_000,
    );
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: desktop })).newPage();
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

  it('shows each projection with its offset, lag and open parked events; the parked event is skipped', async () => {
    await signIn(page, operatorLogin);
    const cells = row(page).getByRole('cell');
    await waitFor(
      'the row of order-history',
      async () => (await cells.allTextContents()).join('|'),
      (text) => text.includes(`|${EVENTS}|0|`) && text.includes('|1|'),
    );
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Parked events of order-history' }).click();
    const parked = page.getByRole('table', { name: 'Parked events of order-history' });
    await parked.waitFor();
    const parkedRow = parked.getByRole('row').filter({ hasText: 'payment.charged' });
    expect(await parkedRow.textContent()).toContain('payload.amount');
    expect(await parkedRow.textContent()).toContain(String(EVENTS));
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'projections-parked');
    await parkedRow.getByRole('button', { name: `Skip event at offset ${EVENTS}` }).click();
    await page.getByText('No open parked events').waitFor();
  });

  it('pauses and resumes a projection', async () => {
    await row(page).getByRole('button', { name: 'Pause order-history' }).click();
    await row(page).getByText('paused', { exact: true }).waitFor();
    await row(page).getByRole('button', { name: 'Resume order-history' }).click();
    await row(page).getByText('running', { exact: true }).first().waitFor();
  });

  it('starts a rebuild and shows its progress bar until it is done', async () => {
    await row(page).getByRole('button', { name: 'Rebuild order-history' }).click();
    const bar = page.getByRole('progressbar', { name: 'Rebuild of order-history' });
    await bar.waitFor();
    const now = Number(await bar.getAttribute('aria-valuenow'));
    expect(now).toBeGreaterThanOrEqual(0);
    expect(now).toBeLessThanOrEqual(100);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'projections-rebuild');
    await row(page).getByText('done', { exact: true }).waitFor({ timeout: 60_000 });
    expect(await bar.count()).toBe(0);
    const audit = await stack.system.database.sql<{ actor_email: string }[]>`
      select actor_email from admin.audit_log where action = 'projection.rebuild'`;
    expect(audit.map((a) => a.actor_email)).toEqual([operatorLogin.email]);
  });

  it('shows a viewer everything and no action button', async () => {
    const created = await operatorApi.post('/users', { ...viewerLogin, name: 'Vera Viewer', role: 'viewer' });
    expect(created.status).toBe(201);
    const viewerPage = await (await browser.newContext({ viewport: desktop })).newPage();
    await signIn(viewerPage, viewerLogin);
    await row(viewerPage).getByText('done', { exact: true }).waitFor();
    await viewerPage.getByRole('button', { name: 'Parked events of order-history' }).click();
    await viewerPage.getByRole('table', { name: 'Projections' }).waitFor();
    await viewerPage.getByText('No open parked events').waitFor();
    const actions = viewerPage.getByRole('button', { name: /^(Pause|Resume|Rebuild|Replay|Skip)\b/ });
    expect(await actions.count()).toBe(0);
    expect(await seriousViolations(viewerPage)).toEqual([]);
  });
});
