// The overview's sales panel in Chromium: a few real checkouts (sold, declined, cancelled after the sale) drawn and tabulated, accessibly.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCancellation, postCheckout } from '../client.js';
import { seriousViolations } from './axe.js';
import { desktop, launchChromium } from './browser.js';
import { operatorLogin, startConsoleStack, type ConsoleStack } from './stack.js';
import { waitFor } from './wait.js';

describe('the sales panel of the console overview (real processes, stream and database)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startConsoleStack();
    await stack.system.startWorkers();
    const port = stack.orchestrator.port;
    // Three sold (2 + 3 + 1 units of SKU-001 at 12.50), one declined, then one of the sold cancelled.
    const sold = [];
    for (const quantity of [2, 3, 1]) {
      const answer = await postCheckout(port, checkoutBody({ items: [{ sku: 'SKU-001', quantity }] }), {
        waitSeconds: 20,
      });
      expect(answer.status).toBe('completed');
      sold.push(answer);
    }
    const declined = await postCheckout(port, checkoutBody({ paymentToken: 'tok_declined' }), {
      waitSeconds: 20,
    });
    expect(declined.status).toBe('compensated');
    const cancelled = await postCancellation(port, sold[2]!.orderId, {
      reason: 'changed my mind',
      waitSeconds: 20,
    });
    expect(cancelled.body.status).toBe('completed');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: desktop })).newPage();
    await page.goto(`${stack.baseUrl}/login`);
    await page.getByLabel('Email').fill(operatorLogin.email);
    await page.getByLabel('Password').fill(operatorLogin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.system.stop();
  });

  it('draws units, revenue, declines and cancellations per minute with labels, a table copy and the top SKUs', async () => {
    const panel = page.getByRole('region', { name: 'Sales, last hour' });
    const top = panel.getByRole('table', { name: 'Top SKUs by units sold, last hour' });
    // The read model follows the stream; the panel polls every 5 s.
    await waitFor(
      'the top SKUs to show the six units sold',
      async () => ((await top.count()) > 0 ? await top.locator('tbody tr').first().innerText() : ''),
      (text) => /SKU-001\s+6\s+75\.00 EUR\s+3\s+1\s+1/.test(text),
      30_000,
    );
    await panel.getByRole('img', { name: 'Units sold per minute over the last hour' }).waitFor();
    await panel.getByRole('img', { name: 'Revenue per minute in EUR over the last hour' }).waitFor();
    await panel.getByRole('img', { name: /^Card declines and orders cancelled after their sale/ }).waitFor();
    const legend = (series: string) => panel.locator('.legend').filter({ hasText: series }).innerText();
    expect(await legend('Card declines')).toMatch(/^Card declines\s+1$/);
    expect(await legend('Cancelled after sale')).toMatch(/^Cancelled after sale\s+1$/);
    expect(await legend('Units sold')).toMatch(/^Units sold\s+6$/);
    expect(await legend('Revenue')).toMatch(/^Revenue\s+75\.00 EUR$/);

    // The table copy of the charts: opened from the keyboard, every figure of the hour in it.
    const summary = panel.getByText(/^Per minute, as a table/);
    await summary.focus();
    await page.keyboard.press('Enter');
    const perMinute = panel.getByRole('table', { name: /^Sales per minute, last hour/ });
    await perMinute.waitFor();
    const cells = await perMinute.locator('tbody tr').allInnerTexts();
    const column = (i: number) =>
      cells.map((row) => Number(row.split('\t')[i])).reduce((sum, n) => sum + n, 0);
    expect(column(1)).toBe(6); // units sold
    expect(column(3)).toBe(1); // orders cancelled
    expect(column(5)).toBe(1); // card declines

    expect(await seriousViolations(page)).toEqual([]);
  });
});
