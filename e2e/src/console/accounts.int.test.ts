// Accounts in Debian's Chromium against the real orchestrator: users page, own account, disabling, the login redirect.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { operatorEnv } from '../admin-client.js';
import { System, type ManagedProcess } from '../harness.js';
import { desktop, launchChromium } from './browser.js';
import { ensureConsoleBuilt, operatorLogin } from './stack.js';

const vic = { email: 'vic@accounts.sagaport', name: 'Vic Viewer', password: 'first password 123' };
const VIC_NEW_PASSWORD = 'second password 456';

describe('accounts in the console (real orchestrator and database)', () => {
  let system: System;
  let orchestrator: ManagedProcess;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let operatorPage: Page;
  const url = (path: string) => `http://127.0.0.1:${orchestrator.port}${path}`;

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: desktop });
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, email: string, password: string, path = '/') {
    await page.goto(url(path));
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    ensureConsoleBuilt();
    system = await System.create({
      catalogue: [{ sku: 'SKU-001', priceCents: 1_250, available: 10 }],
      env: { ...operatorEnv },
    });
    orchestrator = await system.startOrchestrator();
    browser = await launchChromium();
    operatorPage = await newPage();
  }, 120_000);

  afterEach((context) => {
    if (context.task.result?.state === 'fail') {
      for (const process of system?.processes ?? [])
        console.error(`--- ${process.name}\n${process.output.slice(-20).join('')}`);
    }
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await system?.stop();
  });

  it('after signing in, stays on this origin when the login link names another site', async () => {
    // `/\example.com` is read by browsers as `//example.com`, another site.
    await signIn(
      operatorPage,
      operatorLogin.email,
      operatorLogin.password,
      `/login?next=${encodeURIComponent('/\\example.com')}`,
    );
    await operatorPage.getByRole('heading', { name: 'Overview' }).waitFor();
    const landed = new URL(operatorPage.url());
    expect(landed.origin).toBe(new URL(url('/')).origin);
    expect(landed.pathname).toBe('/');
  });

  it('an operator adds a viewer from the users page', async () => {
    await operatorPage
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Users' })
      .click();
    await operatorPage.getByRole('heading', { name: 'Users' }).waitFor();
    const form = operatorPage.getByRole('form', { name: 'Add a user' });
    await form.getByLabel('Email').fill(vic.email);
    await form.getByLabel('Name').fill(vic.name);
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByLabel('First password').fill(vic.password);
    await form.getByRole('button', { name: 'Add user' }).click();
    await operatorPage
      .getByRole('status')
      .filter({ hasText: `Added ${vic.email}` })
      .waitFor();
    const row = operatorPage.getByRole('row').filter({ hasText: vic.email });
    await row.getByText('active').waitFor();
    // The operator's own row offers their account page, not actions against themselves.
    const ownRow = operatorPage.getByRole('row').filter({ hasText: operatorLogin.email });
    expect(await ownRow.getByRole('button').count()).toBe(0);
    expect(await ownRow.getByRole('link', { name: 'Your account' }).count()).toBe(1);
  });

  it('a viewer changes their password on the account page, and their other browser is signed out', async () => {
    const elsewhere = await newPage();
    await signIn(elsewhere, vic.email, vic.password);
    await elsewhere.getByRole('heading', { name: 'Overview' }).waitFor();

    const page = await newPage();
    await signIn(page, vic.email, vic.password);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('link', { name: /Vic Viewer/ }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    const sessions = page.getByRole('table', { name: 'Your sessions, most recently used first' });
    await sessions.getByText('(this browser)').waitFor();
    expect(await sessions.getByRole('row').count()).toBe(3);

    // Keyboard only, as a screen-reader user would.
    await page.getByLabel('Current password').focus();
    await page.keyboard.type(vic.password);
    await page.keyboard.press('Tab');
    await page.keyboard.type(VIC_NEW_PASSWORD);
    await page.keyboard.press('Tab');
    await page.keyboard.type(VIC_NEW_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    await sessions.getByRole('row').nth(2).waitFor({ state: 'detached' });

    await elsewhere.reload();
    await elsewhere.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  });

  it('an operator sees the viewer’s session and disables the account: the viewer is out at once and cannot sign in', async () => {
    const viewerPage = await newPage();
    await signIn(viewerPage, vic.email, VIC_NEW_PASSWORD, '/users');
    await viewerPage.getByRole('heading', { name: 'Users' }).waitFor();
    // A viewer reads the list but gets no account controls.
    expect(await viewerPage.getByRole('button', { name: /Disable/ }).count()).toBe(0);

    await operatorPage.reload();
    await operatorPage.getByRole('button', { name: `Sessions of ${vic.email}` }).click();
    const dialog = operatorPage.getByRole('dialog', { name: `Sessions of ${vic.name}` });
    await dialog.getByRole('table').waitFor();
    expect(await dialog.getByRole('row').count()).toBeGreaterThanOrEqual(2);
    await dialog.getByRole('button', { name: 'Close' }).click();

    await operatorPage.getByRole('button', { name: `Disable ${vic.email}` }).click();
    const confirm = operatorPage.getByRole('dialog', { name: `Disable ${vic.name}?` });
    await confirm.getByRole('button', { name: 'Disable' }).click();
    await operatorPage.getByRole('row').filter({ hasText: vic.email }).getByText('disabled').waitFor();

    await viewerPage
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Sagas' })
      .click();
    await viewerPage.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await viewerPage.getByLabel('Email').fill(vic.email);
    await viewerPage.getByLabel('Password').fill(VIC_NEW_PASSWORD);
    await viewerPage.getByRole('button', { name: 'Sign in' }).click();
    expect(await viewerPage.getByRole('alert').textContent()).toBe('Wrong email or password.');
  });
});
