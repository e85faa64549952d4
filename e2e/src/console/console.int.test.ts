// The console in Debian's Chromium against the real stack: login, a poison message's group, edit-and-replay, bulk replay, roles.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from '../client.js';
import { adminLogin, type AdminClient } from '../admin-client.js';
import { waitFor } from './wait.js';
import { desktop, launchChromium, screenshot } from './browser.js';
import { corruptOrderCommands, quantityAsString } from './poison.js';
import { operatorLogin, startConsoleStack, viewerLogin, type ConsoleStack } from './stack.js';

interface DeadLetter {
  id: string;
  sagaId: string | null;
  status: string;
  fingerprint: string;
}
interface ReplayJob {
  id: string;
  status: string;
  total: number;
  replayed: number;
  skipped: number;
  failed: number;
  items: { deadLetterId: string; status: string; detail: string | null }[];
}

/** Poison messages made for the test: one fixed by hand, the rest replayed as a group. */
const POISONED = 4;

describe('the admin console in a browser (real processes, broker and database)', () => {
  let stack: ConsoleStack;
  let operatorApi: AdminClient;
  let browser: Browser;
  let operatorContext: BrowserContext;
  let page: Page;
  let handFixedSaga: string;
  const url = (path: string) => `${stack.baseUrl}${path}`;
  /** Opens a console URL directly, as a shared link would be opened. */
  const open = async (target: Page, path: string) => {
    const response = await target.goto(url(path));
    // Deep links need the orchestrator to answer the console's client-side routes with index.html.
    expect(response?.status(), `GET ${path} (SPA fallback to index.html)`).toBe(200);
  };

  beforeAll(async () => {
    stack = await startConsoleStack();
    const port = stack.orchestrator.port;
    // No order worker runs yet: each saga's order.create waits in the queue to be corrupted.
    const sagas = await Promise.all(
      Array.from({ length: POISONED }, () => postCheckout(port, checkoutBody())),
    );
    const corrupted = await corruptOrderCommands(stack.system.prefix, POISONED, quantityAsString);
    expect(new Set(corrupted)).toEqual(new Set(sagas.map((s) => s.sagaId)));
    handFixedSaga = sagas[0]!.sagaId;
    await stack.system.startWorkers();
    operatorApi = await adminLogin(port, operatorLogin);
    await waitFor(
      `${POISONED} archived dead letters`,
      () => operatorApi.get<{ items: DeadLetter[] }>('/dead-letters?status=open'),
      (page) => page.items.length === POISONED,
    );
    browser = await launchChromium();
    operatorContext = await browser.newContext({ viewport: desktop });
    page = await operatorContext.newPage();
  }, 240_000);

  afterEach((context) => {
    // The processes' last log lines explain most failures of this end-to-end flow.
    if (context.task.result?.state === 'fail') {
      for (const process of stack?.system.processes ?? [])
        console.error(`--- ${process.name}\n${process.output.slice(-20).join('')}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.system.stop();
  });

  it('an operator signs in and lands on the page they asked for', async () => {
    await open(page, '/');
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login');
    await page.getByLabel('Email').fill(operatorLogin.email);
    await page.getByLabel('Password').fill(operatorLogin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('list', { name: 'Sagas by status' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it("shows the poison messages' dead letters in one group, with counts, first and last seen", async () => {
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Dead letters' })
      .click();
    const group = page.locator('tbody tr', { hasText: 'order.create' });
    await group.waitFor();
    expect(await group.count()).toBe(1);
    expect(await group.locator('td.num').textContent()).toBe(`${POISONED} / ${POISONED}`);
    expect(await group.textContent()).toContain('ago');
    await screenshot(page, 'dead-letters-groups');
    await group.getByRole('link', { name: `Show ${POISONED}` }).click();
    const search = new URL(page.url()).searchParams;
    expect(search.get('view')).toBe('list');
    expect(search.get('fingerprint')).toMatch(/^[0-9a-f]{16}$/);
    await waitFor(
      'the list',
      () => page.locator('tbody tr').count(),
      (rows) => rows === POISONED,
    );
    await screenshot(page, 'dead-letters-list');
  });

  it('fixes the body of one dead letter, shows the diff, replays it, and the saga completes', async () => {
    // A shared link: the list filtered by saga, any status.
    await open(page, `/dead-letters?view=list&status=all&sagaId=${handFixedSaga}`);
    expect(await page.getByLabel('Saga id').inputValue()).toBe(handFixedSaga);
    await waitFor(
      'one row',
      () => page.locator('tbody tr').count(),
      (rows) => rows === 1,
    );
    await page.getByRole('link', { name: 'order.create' }).click();
    await page.getByRole('heading', { name: /order\.create/ }).waitFor();
    await page.getByLabel('Stack trace').waitFor();
    await screenshot(page, 'dead-letter-detail');

    await page.getByRole('button', { name: 'Edit and replay' }).click();
    await page.getByText(/^\d+ contract errors?$/).waitFor();
    expect(await page.getByRole('list', { name: 'Contract errors' }).textContent()).toContain('quantity');
    const editor = page.getByLabel('Message body (JSON)');
    const body = JSON.parse(await editor.inputValue()) as { items: { quantity: unknown }[] };
    body.items[0]!.quantity = Number(body.items[0]!.quantity);
    await editor.fill(JSON.stringify(body, null, 2));
    await page.getByText('Matches the order.create contract.').waitFor();
    const diff = page.getByLabel('Changes against the original');
    expect(await diff.textContent()).toContain('items.0.quantity');
    await page.getByLabel('Reason (kept in the audit log)').fill('quantity must be a number');
    await screenshot(page, 'edit-and-replay');
    await page.getByRole('button', { name: 'Replay edited message' }).click();
    await page.getByText('Replayed with the edited body', { exact: false }).waitFor();

    await page.getByRole('link', { name: 'Follow the saga' }).click();
    await page.getByRole('list', { name: 'Saga timeline' }).waitFor();
    await page.locator('[data-kind="saga.completed"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-kind="dead-letter.archived"]').count()).toBe(1);
    expect(await page.locator('[data-kind="dead-letter.replayed"]').count()).toBe(1);
    expect(await page.locator('.page-header .badge').first().textContent()).toBe('completed');
    await screenshot(page, 'saga-detail');
    const saga = await operatorApi.get<{ saga: { status: string } }>(`/sagas/${handFixedSaga}`);
    expect(saga.saga.status).toBe('completed');
  });

  it('replays a whole group in bulk, with live progress and a result for each dead letter', async () => {
    await open(page, '/dead-letters');
    const group = page.locator('tbody tr', { hasText: 'order.create' });
    await group.waitFor();
    await group.getByRole('button', { name: 'Replay group' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: `Replay ${POISONED - 1} dead letters` })
      .click();
    await page.waitForURL(/\/replay-jobs\/[0-9a-f-]{36}$/);
    await page.getByRole('progressbar', { name: 'Replay progress' }).waitFor();
    await page.getByText(/^Finished /).waitFor({ timeout: 60_000 });
    const rows = page.getByRole('table', { name: 'Result of each dead letter' }).locator('tbody tr');
    expect(await rows.count()).toBe(POISONED - 1);
    await screenshot(page, 'replay-job');

    const jobId = new URL(page.url()).pathname.split('/').at(-1)!;
    const job = await operatorApi.get<ReplayJob>(`/replay-jobs/${jobId}`);
    expect(job).toMatchObject({ status: 'completed', total: POISONED - 1 });
    expect(job.replayed + job.skipped + job.failed).toBe(POISONED - 1);
    for (const item of job.items) {
      expect(['replayed', 'skipped', 'failed']).toContain(item.status);
      if (item.status !== 'replayed') expect(item.detail, 'a reason for each one not replayed').toBeTruthy();
    }
  });

  it('shows a viewer no replay control, and the API refuses a viewer replay', async () => {
    const created = await operatorApi.post('/users', { ...viewerLogin, name: 'Vera Viewer', role: 'viewer' });
    expect(created.status).toBe(201);
    const deadLetters = await operatorApi.get<{ items: DeadLetter[] }>('/dead-letters');
    const target = deadLetters.items.find((d) => d.sagaId !== handFixedSaga)!;

    const context = await browser.newContext({ viewport: desktop });
    const viewerPage = await context.newPage();
    await open(viewerPage, `/dead-letters/${target.id}`);
    // Keyboard only: the email field has focus, Tab moves to the password, Enter submits.
    await viewerPage.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await viewerPage.keyboard.type(viewerLogin.email);
    await viewerPage.keyboard.press('Tab');
    await viewerPage.keyboard.type(viewerLogin.password);
    await viewerPage.keyboard.press('Enter');
    await viewerPage.getByLabel('Message body').waitFor();
    expect(new URL(viewerPage.url()).pathname).toBe(`/dead-letters/${target.id}`);
    for (const name of ['Replay', 'Edit and replay', 'Discard']) {
      expect(await viewerPage.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await open(viewerPage, '/dead-letters');
    await viewerPage.locator('tbody tr').first().waitFor();
    expect(await viewerPage.getByRole('button', { name: /replay/i }).count()).toBe(0);
    await viewerPage.getByRole('button', { name: 'All dead letters' }).click();
    await viewerPage.locator('tbody tr').first().waitFor();
    expect(await viewerPage.getByRole('checkbox').count()).toBe(0);
    await context.close();

    const viewerApi = await adminLogin(stack.orchestrator.port, viewerLogin);
    const refused = await viewerApi.post(`/dead-letters/${target.id}/replay`, {});
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ status: 403 });
  });

  it('renders every other page, and stays readable on a narrow screen', async () => {
    const pages = [
      ['/sagas', 'Sagas', 'sagas'],
      ['/queues', 'Queues', 'queues'],
      ['/audit', 'Audit log', 'audit-log'],
      ['/replay-jobs', 'Replay jobs', 'replay-jobs'],
      ['/', 'Overview', 'overview'],
    ] as const;
    for (const [path, heading, name] of pages) {
      await open(page, path);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await waitFor(
        `${path} loaded`,
        () =>
          page
            .getByRole('status')
            .filter({ hasText: /^Loading/ })
            .count(),
        (n) => n === 0,
      );
      // A table, or the banner saying the management API cannot be reached (Queues).
      await page.locator('table, [role=alert]').first().waitFor();
      await screenshot(page, name);
    }
    await open(page, '/audit');
    await page.getByText('dead-letter.replay', { exact: true }).first().waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/', `/sagas/${handFixedSaga}`, '/dead-letters?view=list&status=all']) {
      await open(page, path);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(overflow, `${path} fits 390 px`).toBeLessThanOrEqual(390);
    }
  });
});
