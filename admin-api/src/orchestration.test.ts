import { describe, expect, it } from 'vitest';
import { waitsFor, type SagaStateView } from './orchestration.js';

const command = (messageId: string) => ({ step: 's', phase: 'forward' as const, type: 't', messageId });

describe('whether a saga waits for a command', () => {
  const running: SagaStateView = { status: 'running', awaiting: command('m-1'), alongside: [command('m-2')] };

  it('is true for the awaited command and for one in flight alongside it', () => {
    expect(waitsFor(running, 'm-1')).toBe(true);
    expect(waitsFor(running, 'm-2')).toBe(true);
    expect(waitsFor(running, 'm-3')).toBe(false);
  });

  it('is false for an ended saga, whatever its state still names, and for no saga', () => {
    expect(waitsFor({ ...running, status: 'completed' }, 'm-1')).toBe(false);
    expect(waitsFor({ ...running, status: 'compensated' }, 'm-2')).toBe(false);
    expect(waitsFor(undefined, 'm-1')).toBe(false);
  });
});
