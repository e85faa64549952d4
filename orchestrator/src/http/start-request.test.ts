import { describe, expect, it } from 'vitest';
import { preferredWaitSeconds } from './start-request.js';

describe('preferredWaitSeconds (RFC 7240 Prefer: wait)', () => {
  it('reads wait=N among other preferences', () => {
    expect(preferredWaitSeconds('wait=5')).toBe(5);
    expect(preferredWaitSeconds('return=minimal, wait=12')).toBe(12);
    expect(preferredWaitSeconds('respond-async; wait=3')).toBe(3);
  });

  it('caps the wait at 30 seconds and ignores anything that is not wait', () => {
    expect(preferredWaitSeconds('wait=600')).toBe(30);
    expect(preferredWaitSeconds('return=minimal')).toBeUndefined();
    expect(preferredWaitSeconds('nowait=5')).toBeUndefined();
    expect(preferredWaitSeconds(undefined)).toBeUndefined();
  });
});
