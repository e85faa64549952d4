import { describe, expect, it } from 'vitest';
import { DatabaseGate, isDatabaseOutage } from './outage.js';

describe('isDatabaseOutage', () => {
  it('tells an unreachable server from a failed query, through wrapped causes', () => {
    expect(isDatabaseOutage(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseOutage(new Error('wrapped', { cause: { code: '57P01' } }))).toBe(true);
    expect(isDatabaseOutage(Object.assign(new Error('class 08'), { code: '08006' }))).toBe(true);
    expect(isDatabaseOutage(Object.assign(new Error('unique'), { code: '23505' }))).toBe(false);
    expect(isDatabaseOutage(new Error('plain'))).toBe(false);
  });
});

describe('DatabaseGate', () => {
  it('counts a probe that never answers as failed and opens once a probe answers', async () => {
    let calls = 0;
    const states: string[] = [];
    const gate = new DatabaseGate({
      // The first two probes hang (a pool whose connections are stuck), the third answers.
      probe: () => (++calls <= 2 ? new Promise(() => undefined) : Promise.resolve()),
      minDelayMs: 1,
      maxDelayMs: 2,
      probeTimeoutMs: 20,
      onOutage: (state) => states.push(state),
    });
    const opened = gate.waitUntilAvailable();
    expect(gate.down).toBe(true);
    await opened;
    expect(calls).toBe(3);
    expect(states).toEqual(['down', 'up']);
    expect(gate.down).toBe(false);
  });

  it('rejects a waiter whose signal aborts while the database is still down', async () => {
    const stop = new AbortController();
    // Down until the waiter has given up, so the probe loop ends with the test.
    const gate = new DatabaseGate({
      probe: () => (stop.signal.aborted ? Promise.resolve() : Promise.reject(new Error('down'))),
      minDelayMs: 5,
    });
    const waiting = gate.waitUntilAvailable(stop.signal);
    stop.abort();
    await expect(waiting).rejects.toThrow('stopped while waiting for the database');
  });
});
