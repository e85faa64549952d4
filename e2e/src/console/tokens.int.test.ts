// The API tokens page in Debian's Chromium against the real orchestrator: a token's secret is shown once, works, and stops working when revoked.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorEnv } from '../admin-client.js';
import { System, type ManagedProcess } from '../harness.js';
import { desktop, launchChromium, screenshot } from './browser.js';
import { ensureConsoleBuilt, operatorLogin } from './stack.js';
import { waitFor } from './wait.js';

describe('the API tokens page in a browser (real orchestrator and database)', () => {
  let system: System;
  let orchestrator: ManagedProcess;
  let browser: Browser;
  let page: Page;
  let secret: string;
  const url = (path: string) => `http://127.0.0.1:${orchestrator.port}${path}`;
  /** Calls the admin API with the bearer token only: no cookie, no CSRF header. */
  const withToken = (token: string, path: string) =>
    fetch(url(`/api/admin${path}`), { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    ensureConsoleBuilt();
    system = await System.create({
      catalogue: [{ sku: 'SKU-001', priceCents: 500, available: 10 }],
      env: operatorEnv,
    });
    orchestrator = await system.startOrchestrator();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: desktop })).newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Email').fill(operatorLogin.email);
    await page.getByLabel('Password').fill(operatorLogin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('creates a token and shows its secret once; the secret works as a bearer token', async () => {
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'API tokens' })
      .click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Name').fill('nightly replay');
    await form.getByLabel('Scope').selectOption('operator');
    await form.getByLabel('Expires in (days)').fill('7');
    await form.getByRole('button', { name: 'Create token' }).click();

    const shown = page.getByLabel('Token', { exact: true });
    await shown.waitFor();
    secret = await shown.inputValue();
    expect(secret).toMatch(/^sgp_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByRole('alert').textContent()).toContain('shown only this once');
    await screenshot(page, 'tokens');
    expect((await withToken(secret, '/sagas')).status).toBe(200);

    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('tbody tr', { hasText: 'nightly replay' });
    await row.waitFor();
    expect(await row.textContent()).toContain(`${secret.slice(0, 10)}…`);
    // Gone from the page, and not to be had again: a reload shows only the hint.
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.locator('tbody tr', { hasText: 'nightly replay' }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('revokes a token after confirmation; the API then refuses it with 401 saying it was revoked', async () => {
    await page.getByRole('button', { name: 'Revoke nightly replay' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “nightly replay”?' });
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitFor(
      'the revoked token to leave the active list',
      () => page.locator('tbody tr', { hasText: 'nightly replay' }).count(),
      (rows) => rows === 0,
    );
    await page.getByLabel('Show expired and revoked tokens').check();
    const row = page.locator('tbody tr', { hasText: 'nightly replay' });
    await row.waitFor();
    expect(await row.textContent()).toContain('revoked');
    expect(await row.getByRole('button', { name: /Revoke/ }).count()).toBe(0);

    const refused = await withToken(secret, '/sagas');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ title: 'API token revoked' });
  });

  it('stays readable on a narrow screen, the secret panel included', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Name').fill('narrow screen');
    await form.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('Token', { exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width, '/tokens fits 390 px').toBeLessThanOrEqual(390);
    await page.getByRole('button', { name: 'Done' }).click();
  });
});
