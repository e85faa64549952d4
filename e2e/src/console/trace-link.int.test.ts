// The saga page links to the saga's trace, built from TRACE_URL_TEMPLATE, in Chromium.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from '../client.js';
import { OtlpReceiver } from '../otlp-receiver.js';
import { desktop, launchChromium } from './browser.js';
import { operatorLogin, startConsoleStack, type ConsoleStack } from './stack.js';

describe("the saga page's trace link (real build, tracing on)", () => {
  let receiver: OtlpReceiver;
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stack = await startConsoleStack({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      TRACE_URL_TEMPLATE: 'http://jaeger.example:16686/trace/{traceId}',
    });
    await stack.system.startWorkers();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: desktop });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.system.stop();
    await receiver?.close();
  });

  it("links a traced saga to its trace: the trace id of the checkout's request span", async () => {
    const answer = await postCheckout(stack.orchestrator.port, checkoutBody(), { waitSeconds: 20 });
    expect(answer.status).toBe('completed');
    await page.goto(`${stack.baseUrl}/login`);
    await page.getByLabel('Email').fill(operatorLogin.email);
    await page.getByLabel('Password').fill(operatorLogin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.goto(`${stack.baseUrl}/sagas/${answer.sagaId}`);
    const link = page.locator('a[href^="http://jaeger.example:16686/trace/"]');
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    const traceId = href.split('/').at(-1)!;
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    expect(await link.textContent()).toBe(traceId);
    expect(await link.getAttribute('target')).toBe('_blank');
    // The same trace the processes exported: the checkout request is its root.
    await expect
      .poll(() => receiver.trace(traceId).find((s) => s.parentSpanId === '')?.name, { timeout: 10_000 })
      .toBe('POST /checkouts');
  });
});
