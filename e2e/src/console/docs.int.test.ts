// /docs in Chromium: Swagger UI from the orchestrator's own files renders both OpenAPI documents under the page's policy.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktop, launchChromium } from './browser.js';
import { startConsoleStack, type ConsoleStack } from './stack.js';

describe('the API docs page (real orchestrator process, Chromium)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    stack = await startConsoleStack();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: desktop });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(`page error ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(stack.baseUrl)) foreignRequests.push(request.url());
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.system.stop();
  });

  it('shows the checkout API’s operations, and the admin API’s once picked, loading nothing from elsewhere', async () => {
    await page.goto(`${stack.baseUrl}/docs`);
    const startCheckout = page.locator('#operations-default-startCheckout');
    await startCheckout.waitFor();
    expect(await startCheckout.locator('.opblock-summary-path').textContent()).toBe('/checkouts');
    const picker = page.getByLabel('Select a definition');
    expect(await picker.locator('option').allTextContents()).toEqual([
      'Sagaport checkout API',
      'Sagaport admin API',
    ]);
    await picker.selectOption({ label: 'Sagaport admin API' });
    const paths = page.locator('.opblock-summary-path', { hasText: '/api/admin/sagas' });
    await paths.first().waitFor();
    expect(await page.locator('.info .title').textContent()).toMatch(/^Sagaport admin API/);
    // Opening an operation renders its parameters and responses (schemas included).
    await startCheckout.waitFor({ state: 'detached' });
    await picker.selectOption({ label: 'Sagaport checkout API' });
    await startCheckout.locator('.opblock-summary-control').click();
    await startCheckout.locator('.parameter__name', { hasText: 'Idempotency-Key' }).waitFor();
    expect(await startCheckout.locator('.responses-table .response-col_status').allTextContents()).toContain(
      '422',
    );
  });

  it('ran without a Content-Security-Policy violation, a script error or a request to another origin', () => {
    expect(problems).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
