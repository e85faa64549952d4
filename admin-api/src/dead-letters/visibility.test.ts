import { describe, expect, it } from 'vitest';
import { deadLetterForRole, stackWithoutFrames } from './visibility.js';

const STACK = [
  'TransientError: inventory database unavailable',
  '    at reserveStock (/srv/sagaport/workers/dist/inventory/handler.js:42:11)',
  '    at async Consumer.deliver (/srv/sagaport/node_modules/@sagaport/rabbitmq/dist/consumer.js:88:5)',
  '  [cause]: Error: connect ECONNREFUSED 10.0.0.5:5432',
  '      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)',
].join('\n');

const detail = {
  id: 'dl-1',
  errorMessage: 'inventory database unavailable',
  errorStack: STACK,
  headers: { 'x-error-stack': STACK, 'x-attempt': 4 },
};

describe('what each role sees of a dead letter', () => {
  it('shows an operator the whole stack and every header', () => {
    expect(deadLetterForRole('operator', detail)).toEqual(detail);
  });

  it('shows a viewer no stack frame and no server path, but the error and its cause', () => {
    const seen = deadLetterForRole('viewer', detail);
    expect(JSON.stringify(seen)).not.toContain('/srv/');
    expect(JSON.stringify(seen)).not.toContain('node:net');
    expect(seen.errorStack).toBe(
      'TransientError: inventory database unavailable\n  [cause]: Error: connect ECONNREFUSED 10.0.0.5:5432',
    );
    expect(seen.headers).toEqual({ 'x-attempt': 4 });
    expect(seen.errorMessage).toBe(detail.errorMessage);
  });

  it('leaves an empty stack empty', () => {
    expect(stackWithoutFrames('')).toBe('');
  });
});
