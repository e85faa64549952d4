// The console in Debian's Chromium against the real stack: login, dead letters grouped by cause, edit-and-replay, bulk replay, roles.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from '../client.js';
import { adminLogin, type AdminClient } from '../admin-client.js';
import { waitFor } from './wait.js';
import { desktop, launchChromium, screenshot } from './browser.js';
import { corruptOrderCommands, quantityAsString } from './poison.js';
import {
  managementApiReachable,
  operatorLogin,
  providerOutageToken,
  startConsoleStack,
  viewerLogin,
  type ConsoleStack,
} from './stack.js';

interface DeadLetter {
  id: string;
  sagaId: string | null;
  status: string;
  fingerprint: string;
  messageType: string;
  errorClass: string;
  attempts: number;
}
interface ReplayJob {
  id: string;
  status: string;
  total: number;
  replayed: number;
  skipped: number;
  failed: number;
  items: { deadLetterId: string; status: string; detail: string | null; replayMessageId: string | null }[];
}

/** order.create messages with a broken body: one is fixed by hand, one stays open for the viewer. */
const BROKEN_BODIES = 2;
/** Checkouts whose card charge was dead-lettered during a payment provider outage: replayed as a group. */
const OUTAGE_CHARGES = 3;

describe('the admin console in a browser (real processes, broker and database)', () => {
  let stack: ConsoleStack;
  let operatorApi: AdminClient;
  let browser: Browser;
  let operatorContext: BrowserContext;
  let page: Page;
  let handFixedSaga: string;
  let stillBrokenSaga: string;
  let outageSagas: string[];
  let management: boolean;
  const url = (path: string) => `${stack.baseUrl}${path}`;
  /** Opens a console URL directly, as a shared link would be opened. */
  const open = async (target: Page, path: string) => {
    const response = await target.goto(url(path));
    // Deep links need the orchestrator to answer the console's client-side routes with index.html.
    expect(response?.status(), `GET ${path} (SPA fallback to index.html)`).toBe(200);
  };
  const sagaStatus = async (sagaId: string) =>
    (await operatorApi.get<{ saga: { status: string } }>(`/sagas/${sagaId}`)).saga.status;

  beforeAll(async () => {
    stack = await startConsoleStack();
    const port = stack.orchestrator.port;
    // No order worker runs yet: each saga's order.create waits in the queue to be corrupted.
    const broken = await Promise.all(
      Array.from({ length: BROKEN_BODIES }, () => postCheckout(port, checkoutBody())),
    );
    const corrupted = await corruptOrderCommands(stack.system.prefix, BROKEN_BODIES, quantityAsString);
    expect(new Set(corrupted)).toEqual(new Set(broken.map((s) => s.sagaId)));
    [handFixedSaga, stillBrokenSaga] = corrupted as [string, string];
    // Good bodies whose charge meets the provider's outage: dead-lettered as transient once both attempts fail.
    const outage = await Promise.all(
      Array.from({ length: OUTAGE_CHARGES }, () =>
        postCheckout(port, checkoutBody({ paymentToken: providerOutageToken })),
      ),
    );
    outageSagas = outage.map((s) => s.sagaId);
    await stack.system.startWorkers();
    operatorApi = await adminLogin(port, operatorLogin);
    const archived = await waitFor(
      `${BROKEN_BODIES + OUTAGE_CHARGES} archived dead letters`,
      () => operatorApi.get<{ items: DeadLetter[] }>('/dead-letters?status=open'),
      (page) => page.items.length === BROKEN_BODIES + OUTAGE_CHARGES,
    );
    const charges = archived.items.filter((d) => d.messageType === 'payment.charge');
    expect(new Set(charges.map((d) => d.sagaId))).toEqual(new Set(outageSagas));
    for (const charge of charges) expect(charge).toMatchObject({ errorClass: 'transient', attempts: 2 });
    management = await managementApiReachable();
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

  it('groups the dead letters by cause, each with its class, counts, first and last seen', async () => {
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Dead letters' })
      .click();
    const groups = page.locator('tbody tr');
    await waitFor(
      'two groups',
      () => groups.count(),
      (rows) => rows === 2,
    );
    const broken = groups.filter({ hasText: 'order.create' });
    expect(await broken.locator('td.num').textContent()).toBe(`${BROKEN_BODIES} / ${BROKEN_BODIES}`);
    expect(await broken.textContent()).toContain('order.create · permanent');
    const outage = groups.filter({ hasText: 'payment.charge' });
    expect(await outage.locator('td.num').textContent()).toBe(`${OUTAGE_CHARGES} / ${OUTAGE_CHARGES}`);
    expect(await outage.textContent()).toContain(
      'payment provider answered <n>: payment provider unavailable',
    );
    expect(await outage.textContent()).toContain('payment.charge · transient');
    for (const group of [broken, outage]) expect(await group.textContent()).toContain('ago');
    await screenshot(page, 'dead-letters-groups');

    const fingerprint = await outage.getAttribute('data-fingerprint');
    await outage.getByRole('link', { name: `Show ${OUTAGE_CHARGES}` }).click();
    const search = new URL(page.url()).searchParams;
    expect(search.get('view')).toBe('list');
    expect(search.get('fingerprint')).toBe(fingerprint);
    const rows = page.locator('tbody tr');
    await waitFor(
      'the list',
      () => rows.count(),
      (n) => n === OUTAGE_CHARGES,
    );
    expect(await rows.filter({ hasText: 'payment.charge' }).count()).toBe(OUTAGE_CHARGES);
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
    const editor = page.getByRole('textbox', { name: 'Message body (JSON)' });
    // The lint marker sits on the quantity's value, at the line and column the error list gives.
    const marked = editor.locator('.cm-lintRange-error').first();
    await marked.waitFor();
    expect(await marked.textContent()).toBe('"1"');
    const listed = await page.getByRole('list', { name: 'Contract errors' }).textContent();
    const [, line, column] = /line (\d+), column (\d+)/.exec(listed ?? '') ?? [];
    const shown = await page.evaluate<{ line: number; column: number }>(`(() => {
      const mark = document.querySelector('.json-editor .cm-lintRange-error');
      const row = mark.closest('.cm-line');
      const before = document.createRange();
      before.setStart(row, 0);
      before.setEndBefore(mark);
      return { line: [...row.parentElement.children].indexOf(row) + 1, column: before.toString().length + 1 };
    })()`);
    expect(shown).toEqual({ line: Number(line), column: Number(column) });
    const body = JSON.parse(await editor.innerText()) as { items: { quantity: unknown }[] };
    body.items[0]!.quantity = Number(body.items[0]!.quantity);
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(JSON.stringify(body, null, 2));
    await page.getByText('Matches the order.create contract.').waitFor();
    expect(await editor.locator('.cm-lintRange-error').count()).toBe(0);
    // The merge view sets the original beside the edit, the changed line marked.
    const merge = page.getByRole('group', { name: 'Original (left) and edited (right) body' });
    expect(await merge.getByRole('textbox', { name: 'Original body' }).textContent()).toContain(
      '"quantity": "1"',
    );
    const changed = merge.getByRole('textbox', { name: 'Edited body' }).locator('.cm-changedLine');
    expect(await changed.first().textContent()).toContain('"quantity": 1');
    await page.getByLabel('Reason (kept in the audit log)').fill('quantity must be a number');
    await screenshot(page, 'edit-and-replay');
    await page.getByRole('button', { name: 'Replay edited message' }).click();
    await page.getByText('Replayed with the edited body', { exact: false }).waitFor();

    await page.getByRole('link', { name: 'Follow the saga' }).click();
    await page.getByRole('list', { name: 'Saga timeline' }).waitFor();
    await page.locator('[data-kind="saga.completed"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-kind="dead-letter.archived"]').count()).toBe(1);
    expect(await page.locator('[data-kind="dead-letter.replayed"]').count()).toBe(1);
    // The header refreshes on its own poll: it may show the end a moment after the timeline.
    await page
      .locator('.page-header .badge', { hasText: /^completed$/ })
      .first()
      .waitFor({ timeout: 10_000 });
    await screenshot(page, 'saga-detail');
    expect(await sagaStatus(handFixedSaga)).toBe('completed');
  });

  it('replays a whole group in bulk once its cause is gone: every dead letter replayed, every saga completed', async () => {
    // The outage outlasted both attempts and is over now (the provider charges these cards from
    // their third attempt on). Nothing has retried them since: their sagas still wait for the charge.
    for (const sagaId of outageSagas) expect(await sagaStatus(sagaId)).toBe('running');
    await open(page, '/dead-letters');
    const group = page.locator('tbody tr', { hasText: 'payment.charge' });
    await group.waitFor();
    const fingerprint = (await group.getAttribute('data-fingerprint'))!;
    await group.getByRole('button', { name: 'Replay group' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: `Replay ${OUTAGE_CHARGES} dead letters` })
      .click();
    // The job's page opens once the job is created; if it does not, say what the dialog shows.
    await page
      .waitForURL(/\/replay-jobs\/[0-9a-f-]{36}$/, { timeout: 45_000 })
      .catch(async (error: unknown) => {
        const dialog = await page
          .getByRole('dialog')
          .textContent({ timeout: 1_000 })
          .catch(() => '(no dialog)');
        throw new Error(`no replay job page after the confirm (at ${page.url()}); the dialog: ${dialog}`, {
          cause: error,
        });
      });
    await page.getByRole('progressbar', { name: 'Replay progress' }).waitFor();
    await page.getByText(/^Finished /).waitFor({ timeout: 60_000 });
    expect(await page.getByText(/^Finished /).textContent()).toContain(
      `${OUTAGE_CHARGES} replayed, 0 skipped, 0 failed.`,
    );
    const rows = page.getByRole('table', { name: 'Result of each dead letter' }).locator('tbody tr');
    expect(await rows.count()).toBe(OUTAGE_CHARGES);
    for (const row of await rows.all()) {
      expect(await row.locator('td').nth(1).textContent(), 'result').toBe('replayed');
    }

    const jobId = new URL(page.url()).pathname.split('/').at(-1)!;
    const job = await operatorApi.get<ReplayJob>(`/replay-jobs/${jobId}`);
    expect(job).toMatchObject({
      status: 'completed',
      total: OUTAGE_CHARGES,
      replayed: OUTAGE_CHARGES,
      skipped: 0,
      failed: 0,
    });
    const members = await operatorApi.get<{ items: DeadLetter[] }>(
      `/dead-letters?fingerprint=${fingerprint}`,
    );
    expect(new Set(job.items.map((i) => i.deadLetterId))).toEqual(new Set(members.items.map((d) => d.id)));
    for (const item of job.items) {
      expect(item).toMatchObject({ status: 'replayed', detail: null });
      expect(item.replayMessageId).toMatch(/^[0-9a-f-]{36}$/);
    }
    for (const deadLetter of members.items) expect(deadLetter.status).toBe('replayed');

    // Each replayed charge reaches the payment worker, and its saga runs to the end.
    const sagaIds = members.items.map((d) => d.sagaId!);
    expect(new Set(sagaIds)).toEqual(new Set(outageSagas));
    await waitFor(
      'every saga of the group completed',
      () => Promise.all(sagaIds.map(sagaStatus)),
      (statuses) => statuses.every((s) => s === 'completed'),
    );
    const stillOpen = await operatorApi.get<{ items: DeadLetter[] }>('/dead-letters?status=open');
    expect(stillOpen.items.filter((d) => sagaIds.includes(d.sagaId ?? ''))).toEqual([]);
    await screenshot(page, 'replay-job');
  });

  it('shows a viewer no replay control, and the API refuses a viewer replay', async () => {
    const created = await operatorApi.post('/users', { ...viewerLogin, name: 'Vera Viewer', role: 'viewer' });
    expect(created.status).toBe(201);
    const deadLetters = await operatorApi.get<{ items: DeadLetter[] }>(
      `/dead-letters?status=open&sagaId=${stillBrokenSaga}`,
    );
    expect(deadLetters.items).toHaveLength(1);
    const target = deadLetters.items[0]!;
    const controls = ['Replay', 'Edit and replay', 'Discard'];
    // The same open dead letter shows an operator every control the viewer must not get.
    await open(page, `/dead-letters/${target.id}`);
    await page.getByLabel('Message body').waitFor();
    for (const name of controls) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }

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
    for (const name of controls) {
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
    const after = await operatorApi.get<{ items: DeadLetter[] }>(`/dead-letters?sagaId=${stillBrokenSaga}`);
    expect(after.items.map((d) => d.status)).toEqual(['open']);
  });

  it('renders every other page with its data and no error, and stays readable on a narrow screen', async () => {
    const completed = 1 + OUTAGE_CHARGES;
    const running = BROKEN_BODIES - 1;
    const managementDown = 'The RabbitMQ management API cannot be reached';
    /** Each page, what proves it shows the system's data, and the screenshot taken of it. */
    const pages: {
      path: string;
      heading: string;
      name: string;
      /** The page shows queue figures, which need the RabbitMQ management API. */
      queues?: boolean;
      content: (page: Page) => Promise<void>;
    }[] = [
      {
        path: '/sagas',
        heading: 'Sagas',
        name: 'sagas',
        content: async (page) => {
          const rows = page.locator('tbody tr');
          expect(await rows.count()).toBe(BROKEN_BODIES + OUTAGE_CHARGES);
          expect(await rows.filter({ hasText: 'completed' }).count()).toBe(completed);
          expect(await rows.filter({ hasText: 'running' }).count()).toBe(running);
          await rows
            .filter({ hasText: handFixedSaga.slice(0, 8) })
            .getByText('completed')
            .waitFor();
        },
      },
      {
        path: '/queues',
        heading: 'Queues',
        name: 'queues',
        queues: true,
        content: async (page) => {
          const orderQueue = `${stack.system.prefix}order.commands`;
          if (management) await page.locator('tbody tr', { hasText: orderQueue }).first().waitFor();
          // Without the management API there are no queue figures to show: the page says why.
          else await page.getByRole('alert').filter({ hasText: managementDown }).waitFor();
        },
      },
      {
        path: '/audit',
        heading: 'Audit log',
        name: 'audit-log',
        content: async (page) => {
          const action = (name: string) => page.locator('tbody td code').getByText(name, { exact: true });
          // The hand-made replay and each one of the bulk replay, the bulk replay itself, the viewer's creation.
          expect(await action('dead-letter.replay').count(), 'replays').toBe(1 + OUTAGE_CHARGES);
          expect(await action('dead-letter.bulk-replay').count(), 'bulk replays').toBe(1);
          expect(await action('user.created').count(), 'users created').toBe(1);
        },
      },
      {
        path: '/replay-jobs',
        heading: 'Replay jobs',
        name: 'replay-jobs',
        content: async (page) => {
          const rows = page.locator('tbody tr');
          await rows.first().waitFor();
          expect(await rows.count()).toBe(1);
          const cells = await rows.first().locator('td').allTextContents();
          expect(cells.slice(1, 7)).toEqual([
            'completed',
            expect.stringMatching(/^every open dead letter of group [0-9a-f]+$/),
            `${OUTAGE_CHARGES}`,
            '0',
            '0',
            `${OUTAGE_CHARGES}`,
          ]);
        },
      },
      {
        path: '/',
        heading: 'Overview',
        name: 'overview',
        queues: true,
        content: async (page) => {
          const cards = page.getByRole('list', { name: 'Sagas by status' });
          const card = (status: string) =>
            cards.getByRole('link').filter({ has: page.getByText(status, { exact: true }) });
          expect(await card('completed').locator('.card__value').textContent()).toBe(`${completed}`);
          expect(await card('running').locator('.card__value').textContent()).toBe(`${running}`);
          const deadLetters = page.getByRole('region', { name: 'Open dead letters per queue' });
          await deadLetters
            .locator('tbody tr', { hasText: `${stack.system.prefix}order.commands` })
            .waitFor();
          expect(await deadLetters.locator('tbody tr').count()).toBe(1);
          const health = page.getByRole('region', { name: 'Queue health' });
          if (management) await health.locator('tbody tr').first().waitFor();
          else await health.getByRole('alert').filter({ hasText: managementDown }).waitFor();
        },
      },
    ];
    for (const { path, heading, name, queues, content } of pages) {
      await open(page, path);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      // Every query of the page has settled: a failing one retries behind a spinner, then shows its error.
      await waitFor(
        `${path} loaded`,
        () => page.locator('.state--loading').count(),
        (n) => n === 0,
      );
      expect(await page.locator('.state--error').allTextContents(), `error states on ${path}`).toEqual([]);
      const alerts = await page.getByRole('alert').allTextContents();
      const expected = queues && !management ? [expect.stringContaining(managementDown)] : [];
      expect(alerts, `alerts on ${path}`).toEqual(expected);
      await content(page);
      // Without the management API the queue figures are a warning: keep the README's pictures of them.
      if (!queues || management) await screenshot(page, name);
    }

    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/', `/sagas/${handFixedSaga}`, '/dead-letters?view=list&status=all']) {
      await open(page, path);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(overflow, `${path} fits 390 px`).toBeLessThanOrEqual(390);
    }
  });

  it('shows a job of 10,000 dead letters as a progress bar and one page of rows, and pages on', async () => {
    // A finished job of 10,000 items, written as a runner would have left it (nothing to publish).
    const sql = stack.system.database.sql;
    const [job] = await sql<{ id: string }[]>`
      insert into admin.replay_jobs (created_by_id, created_by, status, selector, rate_per_second, total,
        replayed, started_at, finished_at)
      values (gen_random_uuid(), ${operatorLogin.email}, 'completed', ${JSON.stringify({ kind: 'ids', count: 10_000 })}::jsonb,
        50, 10000, 10000, now(), now())
      returning id`;
    await sql`
      insert into admin.replay_job_items (job_id, seq, dead_letter_id, status, replay_message_id, processed_at)
      select ${job!.id}, n, gen_random_uuid(), 'replayed', gen_random_uuid(), now()
        from generate_series(0, 9999) as n`;
    await page.setViewportSize(desktop);
    await open(page, `/replay-jobs/${job!.id}`);
    await page.getByRole('progressbar', { name: 'Replay progress' }).waitFor();
    expect(await page.getByText('10000 of 10000 processed').count()).toBe(1);
    const table = page.getByRole('table', { name: 'Result of each dead letter' });
    await table.locator('tbody tr').first().waitFor();
    expect(await table.locator('tbody tr').count(), 'rows on the page').toBe(50);
    // The whole page stays small: not the 80,000 nodes of every item at once.
    expect(await page.evaluate<number>('document.querySelectorAll("*").length')).toBeLessThan(2_000);
    const firstPage = await table.locator('tbody tr td a').first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await waitFor(
      'the second page',
      () => table.locator('tbody tr td a').first().textContent(),
      (text) => text !== firstPage,
    );
    expect(await table.locator('tbody tr').count()).toBe(50);
    expect(await page.getByRole('button', { name: 'Previous page' }).isEnabled()).toBe(true);
  });
});
