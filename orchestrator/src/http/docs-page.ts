// A self-contained API docs page (no CDN, works offline) that renders /openapi.json: /docs, its script and its styles.
import { Hono } from 'hono';
import { html } from 'hono/html';

/** Renders the document into <main>; served as a file so the page needs no inline script. */
const script = `
const doc = await (await fetch('/openapi.json')).json();
const main = document.querySelector('main');
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; };
main.append(el('h1', doc.info.title), el('p', doc.info.description));
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const section = el('section');
    section.append(el('h2', method.toUpperCase() + ' ' + path), el('p', op.summary));
    if (op.parameters?.length) {
      const table = el('table'); table.append(el('tr')); table.rows[0].append(el('th', 'parameter'), el('th', 'in'), el('th', 'description'));
      for (const p of op.parameters) { const r = table.insertRow(); r.append(el('td', p.name + (p.required ? ' *' : '')), el('td', p.in), el('td', p.description ?? '')); }
      section.append(table);
    }
    const responses = el('table'); responses.insertRow().append(el('th', 'status'), el('th', 'meaning'));
    for (const [code, r] of Object.entries(op.responses)) responses.insertRow().append(el('td', code), el('td', r.description));
    section.append(el('h3', 'Responses'), responses);
    main.append(section);
  }
}
main.append(el('h2', 'Schemas'));
for (const [name, s] of Object.entries(doc.components.schemas)) {
  // A scrollable block is a labelled, focusable region: keyboard users can reach and scroll it.
  const block = el('pre', JSON.stringify(s, null, 2));
  block.tabIndex = 0;
  block.setAttribute('role', 'region');
  block.setAttribute('aria-label', 'Schema ' + name);
  main.append(el('h3', name), block);
}
`;

const styles = `
body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h2 { border-top: 1px solid #d0d7de; padding-top: 1rem; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #d0d7de; padding: 0.3rem 0.5rem; text-align: left; }
pre { background: #f6f8fa; padding: 0.75rem; overflow: auto; font-size: 13px; }
pre:focus-visible { outline: 2px solid #0969da; outline-offset: 2px; }
`;

/** The HTML of /docs: no inline script or style, so it runs under the Content-Security-Policy. */
export function docsPage() {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Sagaport checkout API</title>
        <link rel="stylesheet" href="/docs.css" />
        <script type="module" src="/docs.js"></script>
      </head>
      <body>
        <main>
          <noscript>This page renders <a href="/openapi.json">/openapi.json</a>.</noscript>
        </main>
      </body>
    </html>`;
}

/** `/docs` and the script and styles it loads. */
export function docsRoutes(): Hono {
  return new Hono()
    .get('/docs', (c) => c.html(docsPage()))
    .get('/docs.js', (c) => c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }))
    .get('/docs.css', (c) => c.body(styles, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
}
