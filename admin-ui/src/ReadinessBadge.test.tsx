import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ReadinessBadge } from './ReadinessBadge.js';

describe('ReadinessBadge', () => {
  it('says it is still checking before the first answer', () => {
    expect(renderToStaticMarkup(<ReadinessBadge state={undefined} />)).toContain('Checking the backend');
  });

  it('lists every dependency check and the overall status', () => {
    const html = renderToStaticMarkup(
      <ReadinessBadge state={{ status: 'not-ready', checks: { postgres: 'up', rabbitmq: 'down' } }} />,
    );
    expect(html).toContain('Backend not-ready');
    expect(html).toContain('postgres: up');
    expect(html).toContain('rabbitmq: down');
  });
});
